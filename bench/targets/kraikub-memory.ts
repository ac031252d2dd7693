/** Kraikub with `@kraikub/adapter-memory`'s `MemoryGrantStore`, through `toNodeHandler`. */
import { MemoryGrantStore } from '@kraikub/adapter-memory';
import { cryptoFor, kraikubTarget } from '../lib/kraikub.ts';
import { runTarget } from '../lib/target.ts';

runTarget(async () => {
  const { crypto } = await cryptoFor();
  return kraikubTarget(new MemoryGrantStore(), crypto);
});
