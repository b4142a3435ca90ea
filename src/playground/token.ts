/**
 * The playground's token: kept in this tab's sessionStorage only (never in
 * the page's URL, never logged), taken from the `#token=` fragment the demo
 * prints, and what a refused one's reason means for the person holding it.
 *
 * @module
 */

const TOKEN_KEY = "agent-service.playground.token";

export const readToken = (): string => sessionStorage.getItem(TOKEN_KEY) ?? "";

/** Keeps `token` (a pasted `Bearer ` prefix dropped); an empty one forgets it. */
export function storeToken(token: string): void {
  const clean = token.trim().replace(/^Bearer\s+/i, "");
  if (clean) sessionStorage.setItem(TOKEN_KEY, clean);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** The token's `exp`, read from its payload (display only: the server verifies). */
export function tokenExpiry(token: string): Date | undefined {
  try {
    const payload = token.split(".")[1] ?? "";
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(payload.length / 4) * 4, "="));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === "number" ? new Date(exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `npm run demo` prints the page's URL with `#token=…`: a fragment never
 * reaches a server or its logs. Take it into sessionStorage and drop it from
 * the address bar at once. True when there was one.
 */
export function takeTokenFromFragment(): boolean {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match?.[1]) return false;
  let token: string;
  try {
    token = decodeURIComponent(match[1]);
  } catch {
    token = match[1];
  }
  history.replaceState(null, "", location.pathname + location.search);
  storeToken(token);
  return true;
}

/** What a refused token's reason (the 401's error_description) means for the person holding it. */
export function refusedBecause(reason: string | undefined): string {
  if (reason === "expired") return "The token has expired (401): paste or mint a new one.";
  if (reason === "bad_signature") {
    return "The token was refused (401, bad_signature): it was signed with another secret than the service's. " +
      "Mint it with the service's environment (AUTH_JWT_SECRET), or paste another.";
  }
  return `The token was refused (401${reason ? `, ${reason}` : " Unauthorized"}): paste or mint a new one.`;
}
