// Browser tests of the console against a dev server of our own (see
// lib.mjs): log in through the dev issuer's page, decide requests, find them
// on their tabs, watch a new one arrive, a Viewer without buttons, an API
// error in words, a share decline, and an axe-core scan of every panel.
// `node e2e/run.mjs --docs` also rewrites docs/access-requests.png.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { axeScan, dist, expect, forget, launch, shots, signIn, startDevServer, StepFailed, steps, web } from './lib.mjs';

const docs = process.argv.includes('--docs');

/** The dev seed's ids: UUID v5 (SHA-1) of a name in devserver's namespace. */
function uuidv5(name) {
  const ns = Buffer.from('6f1c3c568a4e4e599a530d2f8f3c1a11', 'hex');
  const h = createHash('sha1').update(ns).update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
if (!existsSync(join(dist, 'index.html'))) {
  console.error(`no built console in ${dist}: run "npm run build" first`);
  process.exit(1);
}

const server = await startDevServer();
const browser = await launch();
const { page } = browser;
const { step, results } = steps();
const axe = [];
const agent = 'support-bot';
const row = (name) => page.locator('#requests-panel tbody tr', { hasText: name });
const tab = (name) => page.getByRole('tab', { name: new RegExp(`^${name}`) });

async function decide(who, action, note) {
  await row(who).getByRole('button', { name: new RegExp(`^Review request from ${who}`) }).click();
  const dialog = page.getByRole('dialog', { name: `Request from ${who}` });
  await dialog.getByRole('button', { name: action, exact: true }).click();
  if (note !== undefined) await dialog.getByLabel(/^Note/).fill(note);
  await dialog.getByRole('button', { name: `Confirm ${action.toLowerCase()}` }).click();
  await dialog.waitFor({ state: 'detached' });
}

/** The signed-in user's access token, as the console keeps it. */
const token = () =>
  page.evaluate(() => {
    for (let i = 0; i < sessionStorage.length; i++) {
      const k = sessionStorage.key(i);
      if (k.startsWith('oidc.user:')) return JSON.parse(sessionStorage.getItem(k)).access_token;
    }
    return null;
  });

let webhookUrl = '';
let code = 0;
try {
  await step('alice signs in through the dev issuer and sees the Pending tab', page, async () => {
    await signIn(page, server.base, 'alice', `/console/?agent=${agent}&tab=pending`);
    await page.getByRole('heading', { name: 'Access Requests' }).waitFor();
    expect((await tab('Pending').getAttribute('aria-selected')) === 'true', 'the Pending tab is not selected');
    await row('Dana Scully').waitFor();
    const n = await page.locator('#requests-panel tbody tr').count();
    expect(n === 4, `want the 4 seeded pending requests, got ${n} rows`);
    for (const col of ['User Name', 'Identifier', 'Provider', 'Connector', 'Conversation', 'Status', 'Created At', 'Processed By', 'Processing Note']) {
      expect(await page.getByRole('columnheader', { name: col }).isVisible(), `column ${col} is missing`);
    }
    expect(await row('Dana Scully').getByText('Support bot on SLACK').isVisible(), 'the Connector column does not show the connector display name');
    expect(await page.getByText('Tenant admin · demo').isVisible(), "the header does not show alice's tenant role");
    if (docs) await page.screenshot({ path: join(web, 'docs/access-requests.png') });
  });
  await step('axe: Access Requests', page, async () => axe.push(['Access Requests', await axeScan(page, 'Access Requests')]));

  await step('alice rotates the Telegram webhook URL (shown once, with a copy button)', page, async () => {
    await page.getByRole('link', { name: 'Connectors' }).click();
    await page.getByRole('heading', { name: 'Connectors' }).waitFor();
    await page.getByRole('button', { name: 'Manage Support bot on TELEGRAM' }).click();
    const dialog = page.getByRole('dialog', { name: 'Support bot on TELEGRAM' });
    await dialog.getByRole('button', { name: /^(Rotate|Generate) URL$/ }).click();
    const input = dialog.getByRole('textbox', { name: 'Webhook URL' });
    await input.waitFor();
    webhookUrl = await input.inputValue();
    expect(/\/v1\/hooks\/telegram\/\S+/.test(webhookUrl), `not a webhook URL: ${webhookUrl}`);
    expect(await dialog.getByRole('button', { name: 'Copy' }).isVisible(), 'no copy button');
    await axeScan(page, 'Connectors (dialog)');
    await dialog.getByRole('button', { name: 'Close' }).click();
  });
  await step('alice creates a Telegram connector with onboarding on', page, async () => {
    await page.getByRole('button', { name: 'New connector' }).click();
    const dialog = page.getByRole('dialog', { name: 'New connector' });
    await dialog.getByLabel('Provider').selectOption('telegram');
    await dialog.getByLabel('Display name').fill('Sales on Telegram');
    await dialog.getByLabel('Bot token').fill('987654321:DEV-sales-bot-token_0123456789');
    await dialog.getByLabel('Secret token (for setWebhook)').fill('dev-sales-secret-token');
    await dialog.getByLabel('Ask unknown senders to wait for approval').check();
    await dialog.getByLabel(/^Onboarding message/).fill('Hi! Sales will get back to you.');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const created = page.getByRole('dialog', { name: 'Sales on Telegram' });
    await created.getByRole('button', { name: 'Generate URL' }).click();
    expect(/\/v1\/hooks\/telegram\//.test(await created.getByRole('textbox', { name: 'Webhook URL' }).inputValue()), 'no webhook URL for the new connector');
    await created.getByRole('button', { name: 'Close' }).click();
    await page.locator('li.card', { hasText: 'Sales on Telegram' }).getByText('on', { exact: true }).waitFor();
  });
  await step("alice sets the Sales connector's request lifecycle and is told in words what is out of range", page, async () => {
    await page.getByRole('button', { name: 'Manage Sales on Telegram' }).click();
    let dialog = page.getByRole('dialog', { name: 'Sales on Telegram' });
    const expiry = dialog.getByLabel('Pending requests expire after (days)');
    await expiry.fill('4000');
    await dialog.getByLabel('Cooldown after a reject (seconds)').fill('-5');
    await dialog.getByRole('button', { name: 'Save lifecycle' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    expect(text.includes('2 fields need a change') && text.includes('The days before a request expires must be from 0 to 3,650.'), `not in words: ${text}`);
    await expiry.fill('7');
    await dialog.getByLabel('New requests per hour, at most').fill('50');
    await dialog.getByLabel('Cooldown after a reject (seconds)').fill('3600');
    await dialog.getByLabel('Message to an approved sender').fill('Welcome to sales!');
    await dialog.getByLabel('Message to a rejected sender').fill('Sorry, sales is invite-only.');
    await dialog.getByRole('button', { name: 'Save lifecycle' }).click();
    await dialog.getByText('Request lifecycle saved').first().waitFor();
    await axeScan(page, 'Connectors (lifecycle)');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('button', { name: 'Manage Sales on Telegram' }).click();
    dialog = page.getByRole('dialog', { name: 'Sales on Telegram' });
    await dialog.getByText('Now: 7 days').waitFor();
    const got = [
      await dialog.getByLabel('Pending requests expire after (days)').inputValue(),
      await dialog.getByLabel('New requests per hour, at most').inputValue(),
      await dialog.getByLabel('Cooldown after a reject (seconds)').inputValue(),
      await dialog.getByLabel('Message to an approved sender').inputValue(),
      await dialog.getByLabel('Message to a rejected sender').inputValue(),
    ];
    expect(JSON.stringify(got) === JSON.stringify(['7', '50', '3600', 'Welcome to sales!', 'Sorry, sales is invite-only.']), `the lifecycle did not stick: ${got}`);
    await dialog.getByRole('button', { name: 'Close' }).click();
  });
  await step('axe: Connectors', page, async () => axe.push(['Connectors', await axeScan(page, 'Connectors')]));

  await step('alice sees participants with health and bindings', page, async () => {
    await page.getByRole('link', { name: 'Participants' }).click();
    const r = page.locator('tbody tr', { hasText: 'Walter Skinner' });
    await r.waitFor();
    expect(await r.getByText(/reachable/).isVisible(), 'no health shown');
    expect(await r.getByText(agent).isVisible(), 'no binding shown');
  });
  await step("alice asks for Walter Skinner's avatar from Teams and is told in words why not", page, async () => {
    // The dev server's Teams connector has no Graph credentials: the refusal must read as a sentence.
    await page.getByRole('button', { name: 'Sync avatar of Walter Skinner' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sync the avatar of Walter Skinner' });
    await dialog.getByRole('button', { name: 'Sync avatar' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    expect(/^gatehouse cannot read the picture through this connector: .+\./.test(text), `not a sentence: ${text}`);
    await dialog.getByRole('button', { name: 'Close' }).click();
  });
  await step('axe: Participants', page, async () => axe.push(['Participants', await axeScan(page, 'Participants')]));

  await step("alice sees collaborators' roles and erin's request", page, async () => {
    await page.getByRole('link', { name: 'Collaborators' }).click();
    await page.locator('tbody tr', { hasText: 'erin' }).getByText('asks for Editor').waitFor();
    expect(await page.getByRole('combobox', { name: /Role of Carol/ }).inputValue() === 'EDITOR', "carol's role is not shown as Editor");
  });
  await step("alice turns off carol's access-request alerts", page, async () => {
    const box = page.locator('tbody tr', { hasText: 'carol' }).getByLabel('Access requests');
    const was = await box.isChecked();
    await box.setChecked(!was);
    await page.getByText("Saved Carol Demo's alert preferences.").first().waitFor();
    await page.reload();
    expect((await page.locator('tbody tr', { hasText: 'carol' }).getByLabel('Access requests').isChecked()) === !was, 'the preference did not stick');
  });
  await step("alice posts support-bot's new requests to a Slack channel", page, async () => {
    await page.getByLabel('Post new access requests to Slack').check();
    await page.getByLabel('Slack connector').selectOption({ label: 'Support bot on SLACK' });
    const channel = page.getByLabel('Channel', { exact: true });
    await channel.fill('<!everyone>');
    await page.getByRole('button', { name: 'Save Slack alerts' }).click();
    await page.getByRole('alert').getByText('A Slack channel is an id (C0123ABCD) or a name (#approvals)').waitFor();
    await channel.fill('#approvals');
    await page.getByRole('button', { name: 'Save Slack alerts' }).click();
    await page.getByText('Saved: new requests are posted to #approvals through Support bot on SLACK.').waitFor();
    await page.reload();
    await page.getByText(/^Last changed by alice/).waitFor();
    expect(await page.getByLabel('Post new access requests to Slack').isChecked(), 'the Slack alert is not on after a reload');
    expect((await page.getByLabel('Channel', { exact: true }).inputValue()) === '#approvals', 'the channel did not stick');
  });
  await step('axe: Collaborators', page, async () => axe.push(['Collaborators', await axeScan(page, 'Collaborators')]));

  await step('alice signs out through the issuer; carol signs in', page, async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in as carol', exact: true }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/console/') && !u.pathname.includes('callback'));
    await page.getByText(`Editor on ${agent}`).waitFor();
  });

  await step("an expired session renews silently (no sign-in page)", page, async () => {
    await page.evaluate(() => {
      for (let i = 0; i < sessionStorage.length; i++) {
        const k = sessionStorage.key(i);
        if (!k.startsWith('oidc.user:')) continue;
        const u = JSON.parse(sessionStorage.getItem(k));
        u.expires_at = Math.floor(Date.now() / 1000) - 60;
        sessionStorage.setItem(k, JSON.stringify(u));
      }
    });
    const before = await token();
    await page.reload();
    await page.getByText(`Editor on ${agent}`).waitFor();
    expect(new URL(page.url()).pathname.startsWith('/console/'), `left the console: ${page.url()}`);
    const after = await token();
    expect(after && after !== before, 'the access token was not renewed');
  });

  await step('carol approves Fox Mulder with a note', page, async () => {
    await page.getByRole('link', { name: /^Access Requests/ }).click();
    await row('Fox Mulder').waitFor();
    await decide('Fox Mulder', 'Approve', 'Welcome aboard, Fox');
    await page.getByText('Approved Fox Mulder.').first().waitFor();
    await row('Fox Mulder').waitFor({ state: 'detached' });
  });

  await step('carol rejects Dana Scully with a note', page, async () => {
    await decide('Dana Scully', 'Reject', 'Not this quarter');
    await page.getByText('Rejected Dana Scully.').first().waitFor();
    await row('Dana Scully').waitFor({ state: 'detached' });
  });

  await step('the Approved and Rejected tabs show them with status, note and operator', page, async () => {
    await tab('Approved').click();
    const f = row('Fox Mulder');
    await f.waitFor();
    for (const t of ['approved', 'Welcome aboard, Fox', 'carol']) expect(await f.getByText(t, { exact: true }).isVisible(), `Fox's row lacks "${t}"`);
    await tab('Rejected').click();
    const d = row('Dana Scully');
    await d.waitFor();
    for (const t of ['rejected', 'Not this quarter', 'carol']) expect(await d.getByText(t, { exact: true }).isVisible(), `Dana's row lacks "${t}"`);
    expect(new URL(page.url()).searchParams.get('tab') === 'rejected', 'the tab is not in the URL');
  });

  await step('the tabs and the detail view work from the keyboard', page, async () => {
    await tab('Rejected').focus();
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => document.activeElement?.id === 'tab-approved');
    expect((await tab('Approved').getAttribute('aria-selected')) === 'true', 'ArrowLeft did not select Approved');
    await page.keyboard.press('Home');
    await page.waitForFunction(() => document.activeElement?.id === 'tab-pending');
    await row('Monica Reyes').getByRole('button', { name: /^Review/ }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Request from Monica Reyes' });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    const back = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
    expect(back.startsWith('Review request from Monica Reyes'), `focus did not return to the row's button (it is on "${back}")`);
  });

  await step('a new PENDING request appears without a reload, with the badge', page, async () => {
    await tab('Pending').click();
    await row('Monica Reyes').waitFor();
    const res = await fetch(webhookUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': 'dev-telegram-secret-token' },
      body: JSON.stringify({
        update_id: 9001,
        message: { message_id: 1, from: { id: 5550001, is_bot: false, first_name: 'Jeffrey', last_name: 'Spender' }, chat: { id: 5550001, type: 'private', first_name: 'Jeffrey' }, date: 1700000000, text: 'hello?' },
      }),
    });
    expect(res.ok, `the Telegram webhook answered ${res.status}`);
    const t0 = Date.now();
    await row('Jeffrey Spender').waitFor({ timeout: 20_000 }).catch(() => {
      throw new Error('the new request did not appear within 20 s (the poll is every 15 s)');
    });
    console.log(`  appeared after ${Date.now() - t0} ms without a reload`);
    expect(await row('Jeffrey Spender').getByText('new').isVisible(), 'the new row is not marked new');
    expect((await tab('Pending').textContent()).includes('3'), 'the Pending badge does not count 3');
  });

  await step("Fox Mulder is a participant now, with the avatar his approval synced from Telegram", page, async () => {
    await page.getByRole('link', { name: 'Participants' }).click();
    const r = page.locator('tbody tr', { hasText: 'Fox Mulder' });
    await r.waitFor();
    // The approval queued the sync through the outbox; reload until it is delivered.
    const synced = r.getByText(/^Avatar from Telegram/);
    for (let i = 0; i < 15 && (await synced.count()) === 0; i++) {
      await page.waitForTimeout(1000);
      await page.reload();
      await r.waitFor();
    }
    expect((await synced.count()) === 1, 'Fox Mulder has no avatar from Telegram after 15 s');
    // The image itself is a 302 to a presigned S3 URL: shown when the CSP's connect-src
    // allows the bucket, else the initials stand in (both are a picture of Fox).
    expect((await r.locator('img.avatar, span.avatar').count()) === 1, 'no avatar (image or initials) for Fox Mulder');
    await page.getByRole('link', { name: /^Access Requests/ }).click();
  });

  await step('carol blocks the new sender and lifts the block again', page, async () => {
    await decide('Jeffrey Spender', 'Block', 'spam');
    await tab('Blocked').click();
    await row('Jeffrey Spender').getByRole('button', { name: /^Review/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Request from Jeffrey Spender' });
    await dialog.getByRole('button', { name: 'Unblock' }).click();
    await dialog.getByRole('button', { name: 'Confirm unblock' }).click();
    await page.getByText('Lifted the block on Jeffrey Spender').first().waitFor();
  });

  await step('an API error is shown in words (a request decided meanwhile)', page, async () => {
    await tab('Pending').click();
    await row('Monica Reyes').getByRole('button', { name: /^Review/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Request from Monica Reyes' });
    await dialog.getByRole('button', { name: 'Approve', exact: true }).click();
    // Another operator rejects it first (carol's own token, straight to the API).
    const id = await page.evaluate(() => new URL(location.href).searchParams.get('request'));
    const res = await fetch(`${server.base}/v1/tenants/demo/participantAccessRequests/${id}:reject`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await token()}`, 'Content-Type': 'application/json' },
      body: '{"note":"decided elsewhere"}',
    });
    expect(res.ok, `rejecting through the API answered ${res.status}`);
    await dialog.getByRole('button', { name: 'Confirm approve' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    expect(text.includes('This request was already decided: it is rejected now.'), `the error is not in words: ${text}`);
    expect(!text.includes('{') && !text.includes('https://gatehouse.dev/problems'), `the error dumps the body: ${text}`);
    await page.screenshot({ path: join(shots, 'error-in-words.png') });
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  await step('usable at 390×844: the Pending list as cards, no sideways scrolling', page, async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await row('+15557654321').waitFor();
    const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(over <= 1, `the page scrolls sideways by ${over}px at 390 px`);
    await axeScan(page, 'Access Requests at 390×844');
    await page.screenshot({ path: join(shots, 'mobile-390x844.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await step('dave, a Viewer, sees the requests and no decision buttons', page, async () => {
    await forget(page, server.base);
    await signIn(page, server.base, 'dave', `/console/?agent=${agent}`);
    await row('+15557654321').waitFor();
    for (const name of ['Approve', 'Reject', 'Block', 'Unblock', /^Review/]) {
      const n = await page.getByRole('button', { name }).count();
      expect(n === 0, `a Viewer sees ${n} "${name}" buttons`);
    }
    expect((await page.getByRole('checkbox').count()) === 0, 'a Viewer sees selection checkboxes');
    await row('+15557654321').getByRole('button', { name: /^View request/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Deciding it needs the Editor role on this agent.').waitFor();
    expect((await dialog.getByRole('button', { name: /^(Approve|Reject|Block)$/ }).count()) === 0, 'the detail view offers decisions to a Viewer');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.goto(`${server.base}/console/?agent=area-51`);
    await page.getByRole('alert').getByText('You hold no role on the agent “area-51”, or it does not exist.').waitFor();
  });

  await step('carol approves the SMS sender into an existing participant found by search', page, async () => {
    await forget(page, server.base);
    await signIn(page, server.base, 'carol', `/console/?agent=${agent}`);
    await row('+15557654321').getByRole('button', { name: /^Review/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Request from +15557654321' });
    await dialog.getByRole('button', { name: 'Approve', exact: true }).click();
    await dialog.getByLabel('Add to an existing participant').check();
    expect(await dialog.getByRole('button', { name: 'Confirm approve' }).isDisabled(), 'approve is possible before a participant is picked');
    await dialog.getByLabel('Search participants').fill('skinner');
    await dialog.getByRole('list', { name: 'Matching participants' }).getByLabel(/Walter Skinner/).check();
    await dialog.getByRole('button', { name: 'Confirm approve' }).click();
    await page.getByText('Approved +15557654321.').first().waitFor();
    await page.getByRole('link', { name: 'Participants' }).click();
    await page.locator('tbody tr', { hasText: 'Walter Skinner' }).getByText('+15557654321').waitFor();
  });

  await step('carol approves three senders at once and is told in words which one another operator decided first', page, async () => {
    const senders = [
      [1, 'Alex', 'Krycek'],
      [2, 'John', 'Doggett'],
      [3, 'Marita', 'Covarrubias'],
    ];
    for (const [i, first, last] of senders) {
      const res = await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': 'dev-telegram-secret-token' },
        body: JSON.stringify({
          update_id: 9100 + i,
          message: { message_id: 10 + i, from: { id: 5550100 + i, is_bot: false, first_name: first, last_name: last }, chat: { id: 5550100 + i, type: 'private', first_name: first }, date: 1700000000, text: 'hi' },
        }),
      });
      expect(res.ok, `the Telegram webhook answered ${res.status}`);
    }
    await page.getByRole('link', { name: /^Access Requests/ }).click();
    await page.reload();
    await row('Marita Covarrubias').waitFor();
    await page.getByLabel('Select request from Alex Krycek').check();
    await page.getByText('1 selected.').waitFor();
    await page.getByRole('button', { name: 'Select all 3' }).click();
    await page.getByText('3 selected.').waitFor();
    expect(await page.getByLabel('Select all pending requests').isChecked(), 'the header checkbox does not show all selected');
    await page.getByRole('button', { name: 'Approve selected' }).click();
    await page.getByLabel(/^Note for all/).fill('welcome, all three');
    // Another operator rejects John Doggett meanwhile (carol's token, straight to the API).
    const list = await fetch(`${server.base}/v1/tenants/demo/participantAccessRequests?AgentId=${agent}&Status=PENDING`, { headers: { Authorization: `Bearer ${await token()}` } });
    const doggett = (await list.json()).find((r) => r.displayName === 'John Doggett');
    expect(doggett, 'John Doggett has no pending request');
    const rej = await fetch(`${server.base}/v1/tenants/demo/participantAccessRequests/${doggett.id}:reject`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await token()}`, 'Content-Type': 'application/json' },
      body: '{"note":"decided elsewhere"}',
    });
    expect(rej.ok, `rejecting through the API answered ${rej.status}`);
    await page.getByRole('button', { name: 'Confirm approve of 3' }).click();
    const report = page.getByRole('status', { name: 'Result of the batch decision' });
    // Results come in the order of the selection, which follows the list.
    await report.getByText(/^Approved (Alex Krycek and Marita Covarrubias|Marita Covarrubias and Alex Krycek)\.$/).waitFor();
    const text = (await report.textContent()) ?? '';
    expect(text.includes('John Doggett: This request was already decided: it is rejected now.'), `the failed item is not explained in words: ${text}`);
    await row('Alex Krycek').waitFor({ state: 'detached' });
    axe.push(['Access Requests (batch result)', await axeScan(page, 'Access Requests (batch result)')]);
  });

  await step("carol, an Editor, is told in words why the agent's activity is not hers to read", page, async () => {
    await page.getByRole('link', { name: 'Activity' }).click();
    await page.getByText('The activity of support-bot is shown to tenant admins and to the agent\'s admins. You are editor on it').waitFor();
    expect((await page.getByRole('button', { name: 'Download JSON Lines' }).count()) === 0, 'an Editor is offered the export');
  });

  await step("alice reads support-bot's activity newest first, pages with Load more and downloads JSON Lines", page, async () => {
    await forget(page, server.base);
    await signIn(page, server.base, 'alice', `/console/activity?agent=${agent}&pageSize=5`);
    await page.getByRole('heading', { name: 'Activity' }).waitFor();
    const rows = page.locator('table[aria-label="Activity of support-bot"] tbody tr');
    await rows.first().waitFor();
    expect((await rows.count()) === 5, `want a first page of 5, got ${await rows.count()}`);
    // Newest first: the batch's last approve and the participant it created share one
    // transaction (and millisecond), so either may come first.
    const top = (await rows.allTextContents()).slice(0, 2);
    expect(
      top.some((t) => t.includes('approved an access request') && t.includes('welcome, all three') && t.includes('pending → approved')),
      `the newest entries are not the batch approve: ${top.join(' | ')}`,
    );
    await page.getByRole('button', { name: 'Load more' }).click();
    await rows.nth(9).waitFor();
    expect((await rows.count()) === 10, `want 10 rows after Load more, got ${await rows.count()}`);
    axe.push(['Activity', await axeScan(page, 'Activity')]);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download JSON Lines' }).click()]);
    expect(/^gatehouse-audit-support-bot-\d{4}-\d{2}-\d{2}\.jsonl$/.test(download.suggestedFilename()), `file name ${download.suggestedFilename()}`);
    const chunks = [];
    for await (const c of await download.createReadStream()) chunks.push(c);
    const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n');
    const entries = lines.map((l) => JSON.parse(l));
    expect(entries.length > 10 && entries.every((e) => e.agentId === agent && e.action), `the export has ${entries.length} lines, not the whole trail`);
    const rejected = entries.find((e) => e.action === 'AccessRequestRejected' && e.note === 'Not this quarter');
    expect(rejected && rejected.actor.length > 0, "the export lacks carol's reject of Dana Scully");
  });

  await step("alice opens the history of Fox Mulder's request from its detail view", page, async () => {
    await page.goto(`${server.base}/console/?agent=${agent}&tab=approved`);
    await row('Fox Mulder').getByRole('button', { name: /request from Fox Mulder/ }).click();
    await page.getByRole('dialog', { name: 'Request from Fox Mulder' }).getByRole('link', { name: 'History of this request' }).click();
    await page.getByText(/^Only the access request [0-9a-f]{8}\./).waitFor();
    const rows = page.locator('table[aria-label="Activity of support-bot"] tbody tr');
    await rows.first().waitFor();
    const texts = await rows.allTextContents();
    const targets = new Set(texts.map((t) => /access request [0-9a-f]{8}/.exec(t)?.[0]));
    expect(targets.size === 1 && !targets.has(undefined), `the history mixes targets: ${[...targets]}`);
    expect(texts.some((t) => t.includes('approved an access request') && t.includes('Welcome aboard, Fox')), `no approve with its note: ${texts.join(' | ')}`);
  });

  await step('olivia, an organization admin, declines a share after confirming', page, async () => {
    await forget(page, server.base);
    await signIn(page, server.base, 'olivia', '/console/shares');
    await page.getByRole('heading', { name: 'Shares' }).waitFor();
    const card = page.locator('li.card', { hasText: 'Walter White' });
    await card.waitFor();
    expect(await card.getByText('Product data sheet').isVisible(), 'the shared document is not listed');
    axe.push(['Shares', await axeScan(page, 'Shares')]);
    await card.getByRole('button', { name: 'Decline Walter White' }).click();
    const dialog = page.getByRole('dialog', { name: 'Decline Walter White?' });
    await dialog.getByRole('button', { name: 'Yes, decline' }).click();
    await page.getByText('Declined Walter White.').first().waitFor();
    await page.getByText('Nobody is waiting for a decision.').waitFor();
  });

  await step('olivia accepts a recipient who just registered, as a seller', page, async () => {
    // rita, invited but not registered (seed), completes her profile through the public API.
    const rita = uuidv5('recipient/rita');
    const res = await fetch(`${server.base}/v1/shares/complete-profile/${rita}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ firstname: 'Rita', lastname: 'Skeeter', language: 'en' }),
    });
    expect(res.ok, `complete-profile answered ${res.status}: ${await res.text()}`);
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    const card = page.locator('li.card', { hasText: 'Rita Skeeter' });
    await card.waitFor();
    await card.getByLabel('Marketplace role').selectOption('seller');
    await card.getByRole('button', { name: 'Accept Rita Skeeter' }).click();
    await page.getByText('Accepted Rita Skeeter as seller').first().waitFor();
  });
  await step("olivia sets her organization's recipient expiry and reads its share activity", page, async () => {
    const days = page.getByLabel('Decline waiting recipients after (days)');
    await days.fill('ten');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('alert').getByText('The days must be a whole number from 0 to 3,650.').waitFor();
    await days.fill('14');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved: recipients still waiting after 14 days are declined.').waitFor();
    await page.reload();
    expect((await page.getByLabel('Decline waiting recipients after (days)').inputValue()) === '14', 'the setting did not stick');
    const trail = page.locator('table[aria-label^="Share activity of"] tbody tr');
    await trail.first().waitFor();
    const text = (await trail.allTextContents()).join('\n');
    for (const want of ["changed the organization's share settings", 'accepted a recipient', 'declined a recipient']) expect(text.includes(want), `the share activity lacks "${want}": ${text}`);
    expect((await trail.first().textContent()).includes("changed the organization's share settings"), 'the newest entry is not the settings change');
    axe.push(['Shares (settings and activity)', await axeScan(page, 'Shares (settings and activity)')]);
  });
} catch (e) {
  code = 1;
  if (!(e instanceof StepFailed)) console.log(`not ok - ${e?.stack ?? e}`);
} finally {
  await browser.close().catch(() => {});
  await server.stop();
}
const passed = results.filter((r) => r.ok).length;
console.log(`axe: ${axe.map(([p, r]) => `${p} ${r.serious} serious/critical, ${r.other} other`).join('; ')}`);
console.log(`${passed} passed, ${results.length - passed} failed`);
process.exit(code);
