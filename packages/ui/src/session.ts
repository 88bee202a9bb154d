/**
 * The signed-in token. It lives in the tab's sessionStorage, so it is gone
 * when the tab closes and other tabs and sites never see it.
 */
const TOKEN_KEY = 'coffer.token';
const NAME_KEY = 'coffer.displayName';

export const session = {
  token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },

  displayName(): string {
    return sessionStorage.getItem(NAME_KEY) ?? '';
  },

  signIn(token: string, displayName: string): void {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(NAME_KEY, displayName);
  },

  signOut(): void {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(NAME_KEY);
  },
};
