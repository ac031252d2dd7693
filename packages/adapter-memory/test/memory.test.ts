import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Clock, mintToken, newGrantId, sha256Base64url, webCrypto } from '@kraikub/core';
import { describe, expect, test } from 'vitest';
import { loadClientsFile, MemoryClientStore, MemoryGrantStore, parseClients } from '../src/index.ts';

class ManualClock implements Clock {
  time = 1_000_000;
  now() {
    return this.time;
  }
}

const client = {
  id: 'demo',
  name: 'Demo',
  redirectUris: ['https://demo.example/cb'],
  tokenEndpointAuthMethod: 'none',
  scopes: ['profile'],
};

describe('MemoryClientStore', () => {
  test('registers validated clients and finds them', async () => {
    const store = new MemoryClientStore([client]);
    expect(await store.findClient('demo')).toMatchObject({
      id: 'demo',
      grantTypes: ['authorization_code', 'refresh_token'],
    });
    expect(await store.findClient('nope')).toBeUndefined();
    expect(store.remove('demo')).toBe(true);
    expect(await store.findClient('demo')).toBeUndefined();
  });

  test.each([
    [{ ...client, redirectUris: ['http://demo.example/cb'] }, /\[0\]\.redirectUris\[0\]: must use https/],
    [
      { ...client, tokenEndpointAuthMethod: 'client_secret_basic' },
      /\[0\]\.secretHash: a confidential client needs one/,
    ],
    [{ ...client, scopes: ['bad scope'] }, /\[0\]\.scopes\[0\]/],
    [{ ...client, extra: 1 }, /Unrecognized key/],
  ])('a bad registration names the field (%#)', (bad, message) => {
    expect(() => new MemoryClientStore([bad])).toThrow(message);
  });

  test('loads clients from a JSON file, and names the file and field of a bad one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kraikub-clients-'));
    const good = join(dir, 'clients.json');
    await writeFile(good, JSON.stringify([{ ...client, id: 'from-file' }]));
    expect(await (await loadClientsFile(good)).findClient('from-file')).toBeDefined();

    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify([{ ...client, redirectUris: ['javascript:alert(1)'] }]));
    await expect(loadClientsFile(bad)).rejects.toThrow(`${bad}[0].redirectUris[0]: uses a forbidden scheme`);

    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{ not json');
    await expect(loadClientsFile(broken)).rejects.toThrow(/not valid JSON/);
  });

  test('parseClients keeps a secret hash and refuses a raw-looking secret', async () => {
    const secretHash = await sha256Base64url(webCrypto, 's3cret');
    const [parsed] = parseClients([{ ...client, tokenEndpointAuthMethod: 'client_secret_post', secretHash }]);
    expect(parsed?.secretHash).toBe(secretHash);
    expect(() =>
      parseClients([{ ...client, tokenEndpointAuthMethod: 'client_secret_post', secretHash: 's3cret' }]),
    ).toThrow(/secretHash/);
  });
});

describe('MemoryGrantStore memory stays bounded by expiry', () => {
  test('expired records are swept as writes happen, without a timer, a slice per write', async () => {
    const clock = new ManualClock();
    const store = new MemoryGrantStore({ clock, sweepIntervalMs: 1_000 });
    for (let i = 0; i < 500; i++) {
      const grantId = newGrantId(webCrypto);
      const access = await mintToken(webCrypto, 'access_token', grantId);
      await store.issueTokens({
        grantId,
        accessToken: {
          key: access.key,
          record: { grantId, clientId: 'c', scopes: [], issuedAt: clock.time, expiresAt: clock.time + 500 },
        },
      });
    }
    expect(store.size).toBe(500);
    clock.time += 2_000;
    const saveCode = async () => {
      const grantId = newGrantId(webCrypto);
      const code = await mintToken(webCrypto, 'code', grantId);
      await store.saveCode(code.key, {
        grantId,
        clientId: 'c',
        subject: 's',
        scopes: [],
        redirectUri: 'https://x.example/cb',
        redirectUriProvided: true,
        issuedAt: clock.time,
        expiresAt: clock.time + 60_000,
      });
    };
    // Each write after the expiry drops one slice (64 records by default) of the expired ones.
    for (let write = 1; write <= 7; write++) {
      await saveCode();
      expect(store.size).toBe(500 - 64 * write + write);
    }
    // The eighth write drops the last 52: only the new records are left.
    await saveCode();
    expect(store.size).toBe(8);
  });

  test('a sweep slice is bounded: one write looks at sweepSlice records at most', async () => {
    const clock = new ManualClock();
    const store = new MemoryGrantStore({ clock, sweepIntervalMs: 1_000, sweepSlice: 1_000 });
    for (let i = 0; i < 5_000; i++) {
      const grantId = `g${i}`;
      await store.issueTokens({
        grantId,
        accessToken: {
          key: { hash: `h${i}`, grantId },
          record: { grantId, clientId: 'c', scopes: [], issuedAt: clock.time, expiresAt: clock.time + 500 },
        },
      });
    }
    clock.time += 2_000;
    for (let write = 1; write <= 5; write++) {
      await store.revokeGrant(`r${write}`, clock.time + 60_000);
      // Each write drops at most one slice of the expired records, and adds its tombstone.
      expect(store.size).toBe(5_000 - write * 1_000 + write);
    }
    await store.revokeGrant('r6', clock.time + 60_000);
    expect(store.size).toBe(6);
  });

  test('a revoked grant is forgotten after retainUntil', async () => {
    const clock = new ManualClock();
    const store = new MemoryGrantStore({ clock, sweepIntervalMs: 1_000 });
    await store.revokeGrant('g', clock.time + 5_000);
    expect(store.snapshot().revokedGrants).toEqual({ g: clock.time + 5_000 });
    clock.time += 6_000;
    store.sweep();
    expect(store.size).toBe(0);
  });
});

describe('MemoryGrantStore revocation without a per-grant index', () => {
  test('a revoked grant stays revoked until its records have expired, even with a short retainUntil', async () => {
    const clock = new ManualClock();
    const store = new MemoryGrantStore({ clock, sweepIntervalMs: 1_000 });
    const grantId = newGrantId(webCrypto);
    const access = await mintToken(webCrypto, 'access_token', grantId);
    await store.issueTokens({
      grantId,
      accessToken: {
        key: access.key,
        record: { grantId, clientId: 'c', scopes: [], issuedAt: clock.time, expiresAt: clock.time + 60_000 },
      },
    });
    // A caller passing a retainUntil shorter than the record's life must not resurrect the record.
    await store.revokeGrant(grantId, clock.time + 10);
    expect(store.snapshot().revokedGrants[grantId]).toBe(clock.time + 60_000);
    clock.time += 100;
    store.sweep();
    expect(await store.findAccessToken(access.key)).toBeUndefined();
    expect(store.size).toBe(2);
    // The record expires, and goes with the tombstone (both expired): nothing is left to come back.
    clock.time += 60_000;
    store.sweep();
    expect(store.size).toBe(0);
    expect(await store.findAccessToken(access.key)).toBeUndefined();
  });

  test("a revoked grant's records read as absent at once, and are dropped when they expire", async () => {
    const clock = new ManualClock();
    const store = new MemoryGrantStore({ clock, sweepIntervalMs: 1_000 });
    const record = {
      grantId: 'g',
      clientId: 'c',
      scopes: [],
      issuedAt: clock.time,
      expiresAt: clock.time + 5_000,
    };
    await store.issueTokens({
      grantId: 'g',
      accessToken: { key: { hash: 'a', grantId: 'g' }, record },
      refreshToken: { key: { hash: 'r', grantId: 'g' }, record: { ...record, subject: 's' } },
    });
    await store.revokeGrant('g', clock.time + 600_000);
    expect(await store.findAccessToken({ hash: 'a', grantId: 'g' })).toBeUndefined();
    expect(await store.findRefreshToken({ hash: 'r', grantId: 'g' })).toBeUndefined();
    expect(
      await store.issueTokens({ grantId: 'g', accessToken: { key: { hash: 'a2', grantId: 'g' }, record } }),
    ).toEqual({
      status: 'grant_revoked',
    });
    clock.time += 6_000;
    store.sweep();
    expect(store.snapshot()).toMatchObject({ accessTokens: {}, refreshTokens: {} });
    expect(Object.keys(store.snapshot().revokedGrants)).toEqual(['g']);
  });
});

describe('MemoryGrantStore expiry index', () => {
  const issue = (hash: string, expiresAt: number) => ({
    grantId: `g-${hash}`,
    accessToken: {
      key: { hash, grantId: `g-${hash}` },
      record: { grantId: `g-${hash}`, clientId: 'c', scopes: [], issuedAt: 0, expiresAt },
    },
  });

  test('a write drops expired records without looking at live ones', async () => {
    const clock = new ManualClock();
    const store = new MemoryGrantStore({ clock, sweepIntervalMs: 1_000, sweepSlice: 100 });
    // Live records first: a sweep walking the store would spend its slices on them.
    for (let i = 0; i < 5_000; i++) await store.issueTokens(issue(`live${i}`, clock.time + 3_600_000));
    for (let i = 0; i < 300; i++) await store.issueTokens(issue(`old${i}`, clock.time + 500));
    clock.time += 2_000;
    for (let write = 1; write <= 3; write++) {
      await store.revokeAccessToken({ hash: 'none', grantId: 'none' });
      await store.issueTokens(issue(`new${write}`, clock.time + 3_600_000));
      expect(store.size).toBe(5_000 + 300 - write * 100 + write);
    }
    expect(Object.keys(store.snapshot().accessTokens).filter((hash) => hash.startsWith('old'))).toEqual([]);
  });

  test('records are dropped at most sweepIntervalMs after they expire, never before', async () => {
    const clock = new ManualClock();
    const store = new MemoryGrantStore({ clock, sweepIntervalMs: 1_000 });
    clock.time = 10_000;
    await store.issueTokens(issue('x', 10_500));
    clock.time = 10_499;
    store.sweep();
    expect(store.size).toBe(1);
    // Expired, but its bucket (10 000, 11 000] is not all past yet: kept, and reads as absent.
    clock.time = 10_500;
    store.sweep();
    expect(await store.findAccessToken({ hash: 'x', grantId: 'g-x' })).toBeUndefined();
    clock.time = 11_000;
    store.sweep();
    expect(store.size).toBe(0);
  });

  test('a rotated refresh token and a consumed code keep their expiry', async () => {
    const clock = new ManualClock();
    const store = new MemoryGrantStore({ clock, sweepIntervalMs: 1_000 });
    const base = { clientId: 'c', scopes: [], issuedAt: clock.time, expiresAt: clock.time + 5_000 };
    await store.saveCode(
      { hash: 'code', grantId: 'g' },
      { ...base, grantId: 'g', subject: 's', redirectUri: 'https://x.example/cb', redirectUriProvided: true },
    );
    const tokens = {
      grantId: 'g',
      accessToken: { key: { hash: 'a1', grantId: 'g' }, record: { ...base, grantId: 'g' } },
      refreshToken: { key: { hash: 'r1', grantId: 'g' }, record: { ...base, grantId: 'g', subject: 's' } },
    };
    expect((await store.consumeCode({ hash: 'code', grantId: 'g' }, tokens)).status).toBe('consumed');
    const next = {
      grantId: 'g',
      accessToken: {
        key: { hash: 'a2', grantId: 'g' },
        record: { ...base, grantId: 'g', expiresAt: clock.time + 9_000 },
      },
    };
    const rotation = {
      rotatedAt: clock.time,
      successor: { hash: 'r2', grantId: 'g' },
      accessScopes: [],
      accessExpiresAt: clock.time + 9_000,
    };
    expect((await store.rotateRefreshToken({ hash: 'r1', grantId: 'g' }, rotation, next)).status).toBe(
      'rotated',
    );
    clock.time += 6_000;
    store.sweep();
    expect(store.snapshot()).toMatchObject({ codes: {}, refreshTokens: {} });
    expect(Object.keys(store.snapshot().accessTokens)).toEqual(['a2']);
    clock.time += 4_000;
    store.sweep();
    expect(store.size).toBe(0);
  });
});

describe('MemoryGrantStore options', () => {
  test('a sweepIntervalMs of 0 drops expired records at the next write, as before the expiry index', async () => {
    const clock = new ManualClock();
    const store = new MemoryGrantStore({ clock, sweepIntervalMs: 0 });
    const record = {
      grantId: 'g',
      clientId: 'c',
      scopes: [],
      issuedAt: clock.time,
      expiresAt: clock.time + 10,
    };
    await store.issueTokens({ grantId: 'g', accessToken: { key: { hash: 'a', grantId: 'g' }, record } });
    clock.time += 11;
    await store.revokeAccessToken({ hash: 'none', grantId: 'none' });
    await store.issueTokens({
      grantId: 'h',
      accessToken: {
        key: { hash: 'b', grantId: 'h' },
        record: { ...record, grantId: 'h', expiresAt: clock.time + 10 },
      },
    });
    expect(Object.keys(store.snapshot().accessTokens)).toEqual(['b']);
  });
});
