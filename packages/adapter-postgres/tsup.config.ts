import { packageBuild } from '../../tsup.base.ts';

// The library, and the `kraikub-postgres-sql` command (`bin`), which prints the migrations' SQL.
export default packageBuild({ entry: ['src/index.ts', 'src/cli.ts'] });
