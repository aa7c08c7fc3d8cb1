// End-to-end test of the tocsin dashboard in headless Chromium, driven by the Rust test
// `browser.rs` (which starts the server and passes everything by environment variables):
// sign in, see the map, ingest an observation that crosses a threshold, watch the commune
// change colour without a reload, open the warning, acknowledge it, open the region page and
// switch to English. Screenshots go to TOCSIN_ARTIFACTS. With TOCSIN_MEASURE=N it also loads
// the map N more times, each time crossing a threshold at another gauge, and prints the
// figures as JSON on the last line.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const base = env('TOCSIN_URL');
const artifacts = env('TOCSIN_ARTIFACTS', 'e2e-artifacts');
// Gauges as "station@commune": the first for the walk-through, one more per measurement.
const gauges = env('TOCSIN_GAUGES').split(',').map((g) => {
  const [station, commune] = g.split('@');
  return { station, commune };
});
const metric = env('TOCSIN_METRIC');
const communes = Number(env('TOCSIN_COMMUNES'));
const crossing = Number(env('TOCSIN_CROSSING_VALUE'));
const measure = Number(env('TOCSIN_MEASURE', '0'));
const timeout = 20_000;
mkdirSync(artifacts, { recursive: true });

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: false });
}

/** Waits for the map and returns what its first load cost. */
async function mapLoaded(page) {
  await page.waitForSelector('#map[data-state="ready"]', { timeout });
  return page.evaluate(() => {
    const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
    return {
      bytes: entries.reduce((sum, e) => sum + (e.transferSize || 0), 0),
      drawnMs: window.tocsinMap.drawnMs,
      paths: document.querySelectorAll('#communes path').length,
      provinces: document.querySelectorAll('#provinces path').length,
    };
  });
}

/** Sends a crossing value from the page (bearer token) and waits until the gauge's commune
 * leaves the calm colour; returns the milliseconds from sending to painting. */
async function crossAndWatch(page, gauge) {
  return page.evaluate(async ({ gauge, metric, value, token }) => {
    const sent = performance.now();
    const record = JSON.stringify({ station: gauge.station, metric, time: new Date().toISOString(), value });
    const response = await fetch('/api/v1/observations', {
      method: 'POST', body: record,
      headers: { 'Authorization': `Bearer ${token}`, 'Content-Type': 'application/x-ndjson' },
    });
    if (!response.ok) throw new Error(`ingest: ${response.status} ${await response.text()}`);
    const path = document.querySelector(`#map path[data-code="${gauge.commune}"]`);
    while (path.classList.contains('lvl-0')) {
      if (performance.now() - sent > 15000) throw new Error(`commune ${gauge.commune} did not change colour`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const change = window.tocsinMap.changes.filter((c) => c.code === gauge.commune).pop();
    return (change ? change.at : performance.now()) - sent;
  }, { gauge, metric, value: crossing, token: env('TOCSIN_INGEST_TOKEN') });
}

async function signIn(page) {
  await page.goto(`${base}/`);
  check(page.url().endsWith('/login'), `without a session / should lead to /login, got ${page.url()}`);
  await shot(page, '01-sign-in');
  await page.fill('#username', env('TOCSIN_USER'));
  await page.fill('#password', env('TOCSIN_PASSWORD'));
  await Promise.all([page.waitForURL(`${base}/`), page.click('button[type=submit]')]);
}

async function run() {
  const browser = await chromium.launch({
    executablePath: env('CHROMIUM', '/usr/bin/chromium'),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const figures = { loads: [], crossings: [] };
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'vi-VN' });
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    const outside = [];
    page.on('request', (r) => { if (!r.url().startsWith(base)) outside.push(r.url()); });

    await signIn(page);
    const first = await mapLoaded(page);
    figures.loads.push(first);
    check(first.paths === communes, `the map draws ${first.paths} communes, expected ${communes}`);
    check(first.provinces === 34, `the map outlines ${first.provinces} provinces, expected 34`);
    await page.waitForSelector('#live.on', { timeout });
    await shot(page, '02-map');
    const gauge = gauges[0];
    const before = await page.getAttribute(`#map path[data-code="${gauge.commune}"]`, 'class');
    check(before === 'lvl-0', `commune ${gauge.commune} starts calm, its class is ${before}`);
    figures.crossings.push(await crossAndWatch(page, gauge));
    check(page.url() === `${base}/`, 'the page was not reloaded');
    await shot(page, '03-map-after-crossing');

    // The warning arrives live in the side list once released; open it.
    const link = page.locator('#warnings-list a').first();
    await link.waitFor({ timeout });
    await Promise.all([page.waitForURL(/\/warnings\/\d+$/), link.click()]);
    await page.waitForSelector('article.info h3', { timeout });
    const xmlLink = await page.getAttribute('a[download$=".xml"]', 'href');
    const xml = await page.evaluate(async (href) => (await fetch(href)).text(), xmlLink);
    check(xml.includes('<alert') && xml.includes('urn:oasis:names:tc:emergency:cap:1.2'), 'the raw CAP downloads');
    // The notification is made in the worker's next round; reload until it is listed.
    for (let tries = 0; (await page.locator('button.ack').count()) === 0; tries++) {
      check(tries < 40, 'no notification to acknowledge');
      await page.waitForTimeout(250);
      await page.reload();
    }
    await shot(page, '04-warning');
    const acks = await page.locator('button.ack').count();
    await Promise.all([page.waitForLoadState('load'), page.locator('button.ack').first().click()]);
    await page.waitForFunction((n) => document.querySelectorAll('button.ack').length === n - 1, acks, { timeout });
    check((await page.textContent('#notifications')).includes('Đã xác nhận'), 'the notification shows as acknowledged');
    await shot(page, '05-acknowledged');

    await page.goto(`${base}/regions/${gauge.commune}`);
    await page.waitForSelector('figure.chart[data-state="ready"]', { timeout });
    check(await page.locator('figure.chart line.threshold').count() > 0, 'the chart draws its thresholds');
    await shot(page, '06-region');

    await page.click('a.lang');
    await page.waitForSelector('html[lang="en"]');
    check((await page.textContent('header nav')).includes('Warnings'), 'the English switch');
    await shot(page, '07-region-en');
    await page.click('a.lang');
    await page.waitForSelector('html[lang="vi"]');

    for (const next of gauges.slice(1, 1 + measure)) {
      await page.goto(`${base}/`);
      figures.loads.push(await mapLoaded(page));
      await page.waitForSelector('#live.on', { timeout });
      figures.crossings.push(await crossAndWatch(page, next));
    }
    check(problems.length === 0, `the pages reported errors: ${problems.join(' | ')}`);
    check(outside.length === 0, `requests left the server: ${outside.join(', ')}`);
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(figures));
}

run().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
