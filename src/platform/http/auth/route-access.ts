/** Paths that are public whoever declares them (probes, Prometheus, the OpenAPI UI). */
const PUBLIC_PREFIXES = ['/health/', '/metrics', '/docs'];

function under(path: string, prefix: string): boolean {
  if (prefix.endsWith('/')) return path.startsWith(prefix) || path === prefix.slice(0, -1);
  return path === prefix || path.startsWith(`${prefix}/`);
}

export function isPublicPath(path: string): boolean {
  return PUBLIC_PREFIXES.some((p) => under(path, p));
}

/** `/admin` and everything below it requires the admin role. */
export function isAdminPath(path: string): boolean {
  return under(path, '/admin');
}

/** The path part of a request URL, percent-decoded (so `/%61dmin` counts as `/admin`). */
export function requestPath(url: string): string {
  const path = url.split('?')[0];
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
