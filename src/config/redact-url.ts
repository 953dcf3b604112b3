/** Hides the credentials of a connection string (`scheme://user:pass@host` → `scheme://***@host`). */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
