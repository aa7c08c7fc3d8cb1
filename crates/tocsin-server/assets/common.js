// What every dashboard page shares: its labels, the session's CSRF token, JSON calls, and
// times and numbers in the page's language.
'use strict';
const tocsin = (() => {
  const labels = JSON.parse(document.getElementById('labels').textContent);
  const session = JSON.parse(document.getElementById('session').textContent);
  const locale = session.lang === 'en' ? 'en-GB' : 'vi-VN';
  const timeFormat = new Intl.DateTimeFormat(locale, {
    timeZone: 'Asia/Ho_Chi_Minh', day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit',
  });
  const numberFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });

  /** Calls the API with the session cookie; state-changing calls carry the CSRF token. */
  async function call(method, url, body) {
    const headers = { 'Accept': 'application/json' };
    if (method !== 'GET') headers['X-CSRF-Token'] = session.csrf;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(url, {
      method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
    if (!response.ok) {
      const message = (json && json.error) || text || response.statusText;
      throw new Error(`${response.status}: ${message}`);
    }
    return json;
  }

  return {
    labels,
    lang: session.lang,
    get: (url) => call('GET', url),
    post: (url, body) => call('POST', url, body),
    time: (text) => timeFormat.format(new Date(text)),
    number: (value) => numberFormat.format(value),
    levelName: (level) => labels.levels[Math.max(0, Math.min(5, level | 0))],
  };
})();
