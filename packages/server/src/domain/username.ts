/** The key a user name is unique and looked up by: NFKC, trimmed, lower case (BF-13). */
export function usernameKey(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase()
}
