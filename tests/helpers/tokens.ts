/** Test tokens: real HS256 JWTs signed with a test secret. */
import { signJwt } from "../../src/jwt.ts";

export const TEST_SECRET = "test-secret-0123456789abcdef-0123456789";

export interface TokenClaims {
  sub?: string;
  userId?: number | string;
  email?: string;
  role?: string;
  /** Seconds from now (negative for expired). Default 3600. */
  expiresIn?: number;
  now?: number;
}

export function mintToken(claims: TokenClaims = {}, secret: string = TEST_SECRET): string {
  const now = claims.now ?? Date.now();
  return signJwt(
    {
      sub: claims.sub ?? "tester",
      userId: claims.userId ?? 1,
      email: claims.email ?? "tester@example.com",
      role: claims.role ?? "REGULAR",
      exp: Math.floor(now / 1000) + (claims.expiresIn ?? 3600),
    },
    secret,
  );
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
