import type { AccessTokenRecord, CodeRecord, MintedToken, RefreshTokenRecord, TokenKey } from '@kraikub/core';
import * as fc from 'fast-check';
import type { SuiteExpect } from '../../conformance.ts';
import { defined, type GrantFixture, type IssueFixture } from '../fixtures.ts';
import type { Harness, Suite } from '../harness.ts';

/**
 * The model: what a store should hold, kept deliberately simple. Records are
 * the very objects written; liveness is computed from the clock, the
 * revoked grants and a few flags.
 */
interface CodeSlot {
  readonly grant: GrantFixture;
  readonly token: MintedToken;
  readonly record: CodeRecord;
  consumed: boolean;
}
interface AccessSlot {
  readonly key: TokenKey;
  readonly record: AccessTokenRecord;
  /** False when the store refused it (revoked grant, lost rotation). */
  readonly stored: boolean;
  revoked: boolean;
}
interface RefreshSlot {
  readonly grant: GrantFixture;
  readonly key: TokenKey;
  /** Gains its `rotation` when rotated. */
  record: RefreshTokenRecord;
  readonly stored: boolean;
}
interface Model {
  readonly grants: GrantFixture[];
  readonly codes: CodeSlot[];
  readonly access: AccessSlot[];
  readonly refresh: RefreshSlot[];
  readonly revoked: Set<string>;
}
interface Real extends Harness {
  readonly expect: SuiteExpect;
}
type Command = fc.AsyncCommand<Model, Real>;

/** Longer than any run's clock advances (at most `maxCommands` steps of 60 s). */
const retainMs = 7 * 24 * 3600_000;
const maxCommands = 60;

const pick = <T>(list: readonly T[], index: number): T => defined(list[index % list.length], 'model slot');
const expired = (record: { readonly expiresAt: number }, real: Real) => record.expiresAt <= real.time.now();

function addGrant(m: Model, real: Real): GrantFixture {
  const grant = real.fx.grant();
  m.grants.push(grant);
  return grant;
}

class SaveCode implements Command {
  constructor(
    readonly ttl: number,
    readonly pkce: boolean,
  ) {}
  check = () => true;
  async run(m: Model, real: Real): Promise<void> {
    // A code always starts a new grant, as an approval does.
    const grant = addGrant(m, real);
    const { token, record } = await real.fx.code(grant, { ttl: this.ttl, pkce: this.pkce });
    await real.store.saveCode(token.key, record);
    m.codes.push({ grant, token, record, consumed: false });
  }
  toString = () => `saveCode(ttl ${this.ttl})`;
}

/** Records the tokens of an issue in the model, stored or not. */
function addTokens(m: Model, grant: GrantFixture, issued: IssueFixture, stored: boolean): void {
  const { accessToken, refreshToken } = issued.issue;
  m.access.push({ key: accessToken.key, record: accessToken.record, stored, revoked: false });
  if (refreshToken !== undefined) m.refresh.push({ grant, ...refreshToken, stored });
}

class ConsumeCode implements Command {
  constructor(
    readonly index: number,
    readonly refresh: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.codes.length > 0;
  async run(m: Model, real: Real): Promise<void> {
    const code = pick(m.codes, this.index);
    const { grantId } = code.record;
    const issued = await real.fx.tokens(code.grant, { refresh: this.refresh });
    const result = await real.store.consumeCode(code.token.key, issued.issue);
    const what = `${this}`;
    let consumed = false;
    if (expired(code.record, real)) {
      real.expect(result, `${what}: expired`).toEqual({ status: 'not_found' });
    } else if (m.revoked.has(grantId)) {
      // Revoked: not_found, or a tombstone; never consumed.
      if (result.status === 'replayed') real.expect(result, what).toEqual({ status: 'replayed', grantId });
      else real.expect(result, `${what}: revoked grant`).toEqual({ status: 'not_found' });
    } else if (code.consumed) {
      real.expect(result, `${what}: tombstone`).toEqual({ status: 'replayed', grantId });
    } else {
      real.expect(result, what).toEqual({ status: 'consumed', record: code.record });
      code.consumed = true;
      consumed = true;
    }
    addTokens(m, code.grant, issued, consumed);
  }
  toString = () => `consumeCode(#${this.index})`;
}

class FindCode implements Command {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.codes.length > 0;
  async run(m: Model, real: Real): Promise<void> {
    const code = pick(m.codes, this.index);
    const live = !expired(code.record, real) && !m.revoked.has(code.record.grantId);
    real
      .expect(await real.store.findCode(code.token.key), `${this}`)
      .toEqual(live ? { record: code.record, consumed: code.consumed } : undefined);
  }
  toString = () => `findCode(#${this.index})`;
}

class IssueTokens implements Command {
  constructor(
    readonly grantIndex: number | 'new',
    readonly refresh: boolean,
    readonly accessTtl: number,
    readonly refreshTtl: number,
  ) {}
  check = () => true;
  async run(m: Model, real: Real): Promise<void> {
    const grant =
      this.grantIndex === 'new' || m.grants.length === 0
        ? addGrant(m, real)
        : pick(m.grants, this.grantIndex);
    const issued = await real.fx.tokens(grant, {
      refresh: this.refresh,
      subject: this.refresh,
      accessTtl: this.accessTtl,
      refreshTtl: this.refreshTtl,
    });
    const result = await real.store.issueTokens(issued.issue);
    const stored = !m.revoked.has(grant.grantId);
    real.expect(result, `${this}`).toEqual({ status: stored ? 'issued' : 'grant_revoked' });
    addTokens(m, grant, issued, stored);
  }
  toString = () =>
    `issueTokens(grant ${this.grantIndex === 'new' ? 'new' : `#${this.grantIndex}`}, ${this.refresh ? 'with' : 'no'} refresh, access ttl ${this.accessTtl}, refresh ttl ${this.refreshTtl})`;
}

class RotateRefreshToken implements Command {
  constructor(
    readonly index: number,
    readonly nonce: boolean,
    readonly accessTtl: number,
    readonly refreshTtl: number,
  ) {}
  check = (m: Readonly<Model>) => m.refresh.length > 0;
  async run(m: Model, real: Real): Promise<void> {
    const slot = pick(m.refresh, this.index);
    const { rotation, next } = await real.fx.rotation(slot.grant, {
      nonce: this.nonce,
      accessTtl: this.accessTtl,
      refreshTtl: this.refreshTtl,
    });
    const result = await real.store.rotateRefreshToken(slot.key, rotation, next);
    const what = `${this}`;
    const reused = { status: 'reused', record: slot.record };
    let rotated = false;
    if (!slot.stored || expired(slot.record, real)) {
      real.expect(result, `${what}: unknown or expired`).toEqual({ status: 'not_found' });
    } else if (m.revoked.has(slot.grant.grantId)) {
      // Revoked: not_found; an already rotated token may still report its rotation.
      if (result.status === 'reused' && slot.record.rotation !== undefined)
        real.expect(result, what).toEqual(reused);
      else real.expect(result, `${what}: revoked grant`).toEqual({ status: 'not_found' });
    } else if (slot.record.rotation !== undefined) {
      real.expect(result, `${what}: already rotated`).toEqual(reused);
    } else {
      real.expect(result, what).toEqual({ status: 'rotated' });
      slot.record = { ...slot.record, rotation };
      rotated = true;
    }
    const successor = defined(next.refreshToken, 'successor');
    m.access.push({
      key: next.accessToken.key,
      record: next.accessToken.record,
      stored: rotated,
      revoked: false,
    });
    m.refresh.push({ grant: slot.grant, ...successor, stored: rotated });
  }
  toString = () => `rotateRefreshToken(#${this.index}${this.nonce ? ', with nonce' : ''})`;
}

class RevokeGrant implements Command {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.grants.length > 0;
  async run(m: Model, real: Real): Promise<void> {
    const grant = pick(m.grants, this.index);
    // Controlled: longer than any run's clock steps. Real: no clock steps, and no week-long keys in a test backend.
    const retain = real.time.mode === 'controlled' ? retainMs : real.time.longTtl;
    await real.store.revokeGrant(grant.grantId, real.time.now() + retain);
    m.revoked.add(grant.grantId);
  }
  toString = () => `revokeGrant(#${this.index})`;
}

class RevokeAccessToken implements Command {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.access.length > 0;
  async run(m: Model, real: Real): Promise<void> {
    const slot = pick(m.access, this.index);
    await real.store.revokeAccessToken(slot.key);
    slot.revoked = true;
  }
  toString = () => `revokeAccessToken(#${this.index})`;
}

class FindAccessToken implements Command {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.access.length > 0;
  async run(m: Model, real: Real): Promise<void> {
    const slot = pick(m.access, this.index);
    const live =
      slot.stored && !slot.revoked && !expired(slot.record, real) && !m.revoked.has(slot.record.grantId);
    real
      .expect(await real.store.findAccessToken(slot.key), `${this}`)
      .toEqual(live ? slot.record : undefined);
  }
  toString = () => `findAccessToken(#${this.index})`;
}

class FindRefreshToken implements Command {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.refresh.length > 0;
  async run(m: Model, real: Real): Promise<void> {
    const slot = pick(m.refresh, this.index);
    const live = slot.stored && !expired(slot.record, real) && !m.revoked.has(slot.grant.grantId);
    real
      .expect(await real.store.findRefreshToken(slot.key), `${this}`)
      .toEqual(live ? slot.record : undefined);
  }
  toString = () => `findRefreshToken(#${this.index})`;
}

class AdvanceClock implements Command {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(_m: Model, real: Real): Promise<void> {
    defined(real.time.fake, 'fake clock').advance(this.ms);
  }
  toString = () => `advance(${this.ms} ms)`;
}

/**
 * Lifetimes and steps chosen so sums often land exactly on an expiry: the
 * boundary is where stores get `<` and `<=` wrong.
 */
const controlledTtls = [1_000, 5_000, 60_000, 600_000] as const;
const controlledSteps = [1, 999, 1_000, 4_000, 60_000] as const;

function commandArbitraries(suite: Suite): fc.Arbitrary<Command>[] {
  const controlled = suite.timeMode === 'controlled';
  // In real time nothing may expire during a run: records outlive it.
  const ttl = controlled ? fc.constantFrom(...controlledTtls) : fc.constant(10 * 60_000);
  const index = fc.nat();
  const weighted = (weight: number, arbitrary: fc.Arbitrary<Command>) =>
    Array.from({ length: weight }, () => arbitrary);
  return [
    ...weighted(
      2,
      fc.tuple(ttl, fc.boolean()).map(([t, pkce]) => new SaveCode(t, pkce)),
    ),
    ...weighted(
      2,
      fc.tuple(index, fc.boolean()).map(([i, refresh]) => new ConsumeCode(i, refresh)),
    ),
    index.map((i) => new FindCode(i)),
    ...weighted(
      2,
      fc
        .tuple(fc.oneof(index, fc.constant('new' as const)), fc.boolean(), ttl, ttl)
        .map(([g, refresh, a, r]) => new IssueTokens(g, refresh, a, r)),
    ),
    ...weighted(
      3,
      fc
        .tuple(index, fc.boolean(), ttl, ttl)
        .map(([i, nonce, a, r]) => new RotateRefreshToken(i, nonce, a, r)),
    ),
    index.map((i) => new RevokeGrant(i)),
    index.map((i) => new RevokeAccessToken(i)),
    ...weighted(
      2,
      index.map((i) => new FindAccessToken(i)),
    ),
    ...weighted(
      2,
      index.map((i) => new FindRefreshToken(i)),
    ),
    ...(controlled ? [fc.constantFrom(...controlledSteps).map((ms) => new AdvanceClock(ms))] : []),
  ];
}

/**
 * Random sequences of every operation (and clock advances, in controlled
 * time) against a simple model, each run on a fresh store.
 */
export function modelBased(suite: Suite): void {
  const { test, expect, open, modelRuns } = suite;
  const operations =
    'saveCode, findCode, consumeCode, issueTokens, rotateRefreshToken, revokeGrant, revokeAccessToken, findAccessToken, findRefreshToken' +
    (suite.timeMode === 'controlled' ? ' and clock advances' : '');

  test(
    `${modelRuns} random sequences of ${operations} agree with a simple model (GrantStore contract, fast-check commands)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.commands(commandArbitraries(suite), { maxCommands, size: 'max' }),
          async (commands) => {
            const harness = await open();
            try {
              const model: Model = { grants: [], codes: [], access: [], refresh: [], revoked: new Set() };
              await fc.asyncModelRun(() => ({ model, real: { ...harness, expect } }), commands);
            } finally {
              await harness.close();
            }
          },
        ),
        { numRuns: modelRuns },
      );
    },
    Math.max(60_000, modelRuns * 1_000),
  );
}
