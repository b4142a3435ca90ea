/**
 * Development tokens for the playground (`POST /api/dev/token`): minted only
 * where anyone could mint them anyway.
 *
 * @module
 */
import type { Config } from "./config.ts";
import type { DevTokenClaims } from "./http/playground-routes.ts";
import { signJwt } from "./jwt.ts";

/**
 * The signer of development tokens, or undefined when the service must not
 * hand out tokens: only with AGENT_ENV=development while the *current* secret
 * (the one tokens are signed with) is the platform's public default. A
 * deployment with a real secret never hands out tokens, even if it forgot
 * AGENT_ENV=production, and even while it still accepts the public default
 * as a previous secret: it would sign with its new private secret, so a
 * minted ADMIN token would open every service that shares that secret.
 *
 * @example
 * ```ts
 * const mintToken = devTokenMinter(config);
 * playgroundRoutes({ devMode: mintToken !== undefined, ...(mintToken ? { mintToken } : {}) });
 * ```
 */
export function devTokenMinter(
  config: Pick<Config, "env" | "auth">,
  now: () => number = Date.now,
): ((claims: DevTokenClaims) => string) | undefined {
  if (config.env !== "development" || config.auth.publicDefaultSecret !== "current") return undefined;
  const secret = config.auth.secrets[0]!;
  return (c) =>
    signJwt({ sub: c.name, userId: c.uid, email: c.email, role: c.role, exp: Math.floor(now() / 1000) + c.expiresInSeconds }, secret);
}
