import { packageBuild } from '../../tsup.base.ts';

// The CLI is built beside the library (dist/cli.js, the package's bin); only the library has types.
export default packageBuild({ entry: ['src/index.ts', 'src/cli.ts'], dts: { entry: 'src/index.ts' } });
