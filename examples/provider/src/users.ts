import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: object,
) => Promise<Buffer>;
/** N = 2^15, r = 8, p = 1: OWASP's scrypt floor (about 32 MiB and tens of ms per hash). */
const params = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** A user of the demo provider. Passwords exist only as scrypt hashes. */
export interface User {
  readonly id: string;
  readonly username: string;
  readonly name: string;
  readonly email: string;
  readonly passwordHash: string;
}

/** `scrypt$<salt>$<hash>` (base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, 32, params);
  return `scrypt$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, params);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The user directory. A real host has its own; the provider never needs passwords itself. */
export class Users {
  readonly #byUsername = new Map<string, User>();
  readonly #byId = new Map<string, User>();
  /** Hash of a password nobody has: unknown usernames cost the same as wrong passwords. */
  #decoy: Promise<string> = hashPassword(randomBytes(16).toString('hex'));

  add(user: User): void {
    this.#byUsername.set(user.username.toLowerCase(), user);
    this.#byId.set(user.id, user);
  }

  byId(id: string): User | undefined {
    return this.#byId.get(id);
  }

  async authenticate(username: string, password: string): Promise<User | undefined> {
    const user = this.#byUsername.get(username.toLowerCase());
    const ok = await verifyPassword(password, user?.passwordHash ?? (await this.#decoy));
    return ok ? user : undefined;
  }
}

/** The demo accounts printed at start. */
export const demoAccounts = [
  {
    id: 'u-alice',
    username: 'alice',
    password: 'wonderland',
    name: 'Alice Liddell',
    email: 'alice@example.com',
  },
  { id: 'u-bob', username: 'bob', password: 'builder', name: 'Bob Builder', email: 'bob@example.com' },
] as const;

export async function demoUsers(): Promise<Users> {
  const users = new Users();
  for (const account of demoAccounts) {
    users.add({ ...account, passwordHash: await hashPassword(account.password) });
  }
  return users;
}
