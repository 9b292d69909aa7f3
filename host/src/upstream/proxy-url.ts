/**
 * Proxy URLs hold a password: how to show one without it, and what to scrub from text.
 *
 * @module
 */

/** The proxy URL as it may be shown (errors, logs): scheme, user and host, the password masked. */
export function displayProxyUrl(proxyUrl: string): string {
  let url: URL;
  try {
    url = new URL(proxyUrl);
  } catch {
    return '(an unparsable proxy URL)';
  }
  const user = url.username ? `${url.username}${url.password ? ':***' : ''}@` : '';
  return `${url.protocol}//${user}${url.host}`;
}

/**
 * The secrets a proxy URL holds, for scrubbing text: the URL as written and normalised, the
 * password (encoded and decoded) and the `Proxy-Authorization: Basic` value made from it.
 */
export function proxySecrets(proxyUrl: string | undefined): string[] {
  if (proxyUrl === undefined) return [];
  let url: URL;
  try {
    url = new URL(proxyUrl);
  } catch {
    return [proxyUrl];
  }
  if (!url.password) return [];
  const user = safeDecode(url.username);
  const password = safeDecode(url.password);
  const basic = Buffer.from(`${user}:${password}`).toString('base64');
  return [...new Set([proxyUrl, url.href, url.password, password, basic])];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
