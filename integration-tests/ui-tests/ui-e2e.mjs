// End-to-end test of Skein's web UI in headless Chromium (Debian's chromium, driven by
// playwright-core), against a running node with the demo agent, the calculator, `noop` held for
// approval and, when a credential is given, authentication on. UiEndToEndIT starts the node, runs
// this script, starts a second worker when asked to (a line on stdout), and checks the exit code.
//
//   SKEIN_UI_URL=http://127.0.0.1:8080 [SKEIN_UI_CREDENTIAL=skein_…] [SKEIN_UI_TRACE=required] \
//   [SKEIN_UI_SCREENSHOTS=dir] [SKEIN_UI_SECOND_WORKER=id] [CHROMIUM=/usr/bin/chromium] node ui-e2e.mjs
//
// SKEIN_UI_TRACE=required makes the trace step fail unless the timeline is shown (once the trace
// endpoint exists); by default the step also accepts the "trace not available" message.
import {chromium} from 'playwright-core';
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {HOSTILE, traceOf} from './trace-fixture.mjs';

const base = (process.env.SKEIN_UI_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const credential = process.env.SKEIN_UI_CREDENTIAL ?? '';
const traceRequired = process.env.SKEIN_UI_TRACE === 'required';
const shots = process.env.SKEIN_UI_SCREENSHOTS ?? 'screenshots';
const secondWorker = process.env.SKEIN_UI_SECOND_WORKER ?? '';
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const WAIT = 60_000;

mkdirSync(shots, {recursive: true});
const profile = mkdtempSync(join(tmpdir(), 'skein-ui-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: {width: 1280, height: 900},
});
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(WAIT);
const problems = [];
page.on('pageerror', (e) => problems.push('page error: ' + e.message));
page.on('console', (m) => {
  // A Content-Security-Policy violation means the UI relies on something the policy forbids.
  if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push('console: ' + m.text());
});

let steps = 0;
async function step(name, body) {
  const started = Date.now();
  await body();
  steps++;
  console.log('ok ' + steps + ' - ' + name + ' (' + (Date.now() - started) + ' ms)');
}
async function shot(name) {
  await page.screenshot({path: join(shots, name + '.png'), fullPage: true});
}
function check(condition, message) {
  if (!condition) throw new Error(message);
}
const session = 'ui-e2e-' + Date.now().toString(36);
const lastTurn = () => page.locator('article.turn').last();

async function sendAndWait(message) {
  const before = await page.locator('article.turn').count();
  await page.locator('#message').fill(message);
  await page.locator('#send').click();
  await page.waitForFunction((n) => document.querySelectorAll('article.turn').length > n, before);
  return lastTurn();
}

try {
  await step('the root redirects to the UI, which asks for the credential when the API needs one', async () => {
    const response = await page.goto(base + '/');
    check(new URL(page.url()).pathname === '/ui/', 'the root led to ' + page.url());
    const headers = response.headers();
    check(/frame-ancestors 'none'/.test(headers['content-security-policy'] ?? ''), 'no CSP on the UI: ' + JSON.stringify(headers));
    check(headers['x-content-type-options'] === 'nosniff', 'no nosniff header');
    if (credential) {
      await page.locator('#login').waitFor({state: 'visible'});
      await page.locator('#login-message').filter({hasText: 'credential'}).waitFor();
      await shot('01-sign-in');
      await page.locator('#login-credential').fill(credential);
      await page.locator('#login-form button[type=submit]').click();
      await page.locator('#login').waitFor({state: 'hidden'});
    }
  });

  await step('a tool call appears while it runs and the answer 84 streams in', async () => {
    await page.goto(base + '/ui/#/chat/' + session);
    await page.locator('#connection').filter({hasText: 'live'}).waitFor();
    // Snapshots of the turn as the page changes: what was shown before the turn completed.
    await page.evaluate(() => {
      window.__seen = [];
      new MutationObserver(() => {
        const turn = [...document.querySelectorAll('article.turn')].pop();
        if (!turn) return;
        window.__seen.push({
          status: turn.querySelector('.badge')?.textContent ?? '',
          tools: [...turn.querySelectorAll('.tool .name')].map((n) => n.textContent),
          answer: turn.querySelector('.answer')?.textContent ?? '',
        });
      }).observe(document.getElementById('chat-log'), {subtree: true, childList: true, characterData: true});
    });
    const turn = await sendAndWait('what is 12*7?');
    await turn.locator('.tool .name', {hasText: 'calculator'}).waitFor();
    await turn.locator('.turn-head .badge', {hasText: 'COMPLETED'}).waitFor();
    const answer = await turn.locator('.answer').textContent();
    check(answer.includes('84'), 'the answer is ' + JSON.stringify(answer));
    const seen = await page.evaluate(() => window.__seen);
    const toolFirst = seen.findIndex((s) => s.tools.includes('calculator'));
    const streamed = seen.findIndex((s) => s.status !== 'COMPLETED' && s.answer.length > 0);
    check(toolFirst >= 0, 'the calculator call was never shown');
    check(streamed >= 0, 'the answer appeared only with the completion, not as it streamed: ' + JSON.stringify(seen));
    check(toolFirst < streamed, 'the tool call was shown after the answer text');
    await turn.locator('.tool .output', {hasText: '84'}).waitFor();
    console.log('answer streamed: ' + JSON.stringify(answer) + ' (' + seen.length + ' changes seen)');
    await shot('02-chat-answer');
  });

  await step('the turn\'s decision trace opens', async () => {
    await lastTurn().locator('a.trace-link').click();
    await page.locator('#trace-timeline, #trace-unavailable').first().waitFor();
    if (await page.locator('#trace-timeline').count()) {
      const events = await page.locator('#trace-timeline li.event').count();
      check(events > 0, 'the timeline has no events');
      await page.locator('tr.trace-tool', {hasText: 'calculator'}).waitFor();
      await page.locator('#latency-bar').waitFor();
      console.log('trace: timeline with ' + events + ' events');
    } else {
      check(!traceRequired, 'the trace is not available, and SKEIN_UI_TRACE=required: ' +
        await page.locator('#trace-unavailable').textContent());
      console.log('trace: not available (' + (await page.locator('#trace-unavailable').textContent()) + ')');
    }
    await shot('03-trace');
  });

  await step('the timeline shows a trace of the documented shape, its text as text', async () => {
    // The endpoint's answer is stood in for by a fixture, so that the view is checked against the
    // shape whether or not this server serves traces (the step above checks the real one).
    const turnId = 'fixture-turn';
    await page.route('**/v1/sessions/*/turns/' + turnId + '/trace', (route) =>
      route.fulfill({status: 200, contentType: 'application/json', body: JSON.stringify(traceOf(session, turnId))}));
    await page.goto(base + '/ui/#/trace/' + session + '/' + turnId);
    await page.locator('#trace-timeline').waitFor();
    check((await page.locator('#trace-timeline li.event').count()) === 8, 'not every event is on the timeline');
    const kinds = await page.locator('#trace-timeline li.event').evaluateAll((items) => items.map((i) => i.dataset.kind));
    check(kinds[0] === 'turn-requested' && kinds[7] === 'turn-completed', 'events out of order: ' + kinds);
    await page.locator('tr.trace-tool[data-call-id="c1"] .badge', {hasText: 'cached'}).waitFor();
    await page.locator('tr.trace-tool[data-call-id="c2"]', {hasText: HOSTILE}).first().waitFor();
    check((await page.locator('#trace img').count()) === 0, 'trace text became elements');
    const widths = await page.locator('#latency-bar span').evaluateAll((spans) => spans.map((s) => s.style.width));
    check(widths.length === 5 && widths[1] === '42.86%', 'the latency bar is off: ' + widths);
    check((await page.evaluate(() => window.__pwned)) === undefined, 'trace text ran as script');
    await shot('03b-trace-timeline');
    await page.unroute('**/v1/sessions/*/turns/' + turnId + '/trace');
  });

  await step('a call held for approval is approved and the turn finishes', async () => {
    await page.goto(base + '/ui/#/chat/' + session);
    await page.locator('#connection').filter({hasText: 'live'}).waitFor();
    const turn = await sendAndWait('use tool noop');
    const approve = turn.locator('.tool button.approve');
    await approve.waitFor();
    await shot('04-held-call');
    await approve.click();
    await turn.locator('.turn-head .badge', {hasText: 'COMPLETED'}).waitFor();
    await turn.locator('.tool .badge', {hasText: 'OK'}).waitFor();
    await shot('05-approved');
  });

  await step('a denied call ends the turn with the denial', async () => {
    const turn = await sendAndWait('use tool noop');
    await turn.locator('.tool button.deny').click();
    await turn.locator('.turn-head .badge', {hasText: 'COMPLETED'}).waitFor();
    await turn.locator('.tool .badge', {hasText: 'ERROR'}).waitFor();
    const answer = await turn.locator('.answer').textContent();
    check(/denied/.test(answer), 'the agent was not told of the denial: ' + JSON.stringify(answer));
  });

  await step('a running turn is cancelled and gets its one completion', async () => {
    const turn = await sendAndWait('use tool noop');
    await turn.locator('.tool button.approve').waitFor();
    await turn.locator('button.cancel').click();
    await turn.locator('.turn-head .badge', {hasText: 'CANCELLED'}).waitFor();
    check(/cancelled in the web UI/.test(await turn.locator('.turn-error').textContent()), 'the reason is not shown');
    check(await turn.locator('button.cancel').isHidden(), 'a finished turn still offers Cancel');
    check((await turn.locator('.tool button.approve').count()) === 0, 'a finished turn still offers Approve');
  });

  await step('hostile text from the agent is shown as text, never as markup', async () => {
    const hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    const turn = await sendAndWait(hostile);
    await turn.locator('.turn-head .badge', {hasText: 'COMPLETED'}).waitFor();
    check((await turn.locator('.user').textContent()) === hostile, 'the message was not shown as typed');
    check((await page.locator('#chat-log img, #chat-log script').count()) === 0, 'server text became elements');
    check((await page.evaluate(() => window.__pwned)) === undefined, 'server text ran as script');
  });

  await step('the session is listed', async () => {
    await page.goto(base + '/ui/#/sessions');
    await page.locator(`#sessions tr[data-session="${session}"]`).waitFor();
    await shot('06-sessions');
  });

  await step('the pools show the tiers and a second worker once it starts', async () => {
    await page.goto(base + '/ui/#/pools');
    await page.locator('#workers tr.worker').first().waitFor();
    await page.locator('#tiers .tier[data-tier="small"] .live-workers').waitFor();
    const before = await page.locator('#workers tr.worker').count();
    if (secondWorker) {
      // UiEndToEndIT starts it when it reads this line.
      console.log('SKEIN-UI-TEST start-second-worker');
      await page.locator(`#workers tr.worker[data-worker="${secondWorker}"]`).waitFor({timeout: 2 * WAIT});
      check((await page.locator('#workers tr.worker').count()) === before + 1, 'the second worker did not add a row');
      await page.locator('#tiers .tier[data-tier="small"] .live-workers', {hasText: String(before + 1)})
        .waitFor({timeout: 2 * WAIT});
    }
    await shot('07-pools');
  });

  check(problems.length === 0, 'the page reported problems:\n' + problems.join('\n'));
  console.log('ui e2e: all ' + steps + ' steps passed');
  await context.close();
  rmSync(profile, {recursive: true, force: true});
  process.exit(0);
} catch (e) {
  console.log('not ok ' + (steps + 1) + ' - ' + e.message);
  if (problems.length) console.log(problems.join('\n'));
  await page.screenshot({path: join(shots, 'failure.png'), fullPage: true}).catch(() => {});
  await context.close().catch(() => {});
  rmSync(profile, {recursive: true, force: true});
  process.exit(1);
}
