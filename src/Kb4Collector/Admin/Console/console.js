// Kb4Collector operator console. Served by the daemon; reads the same JSON routes as scripts, with the session cookie.
// Every value from the API is put into the page as text (textContent / attributes), never parsed as HTML.
'use strict';

(() => {
  const API = '/api/v1/collectors/local';
  const REFRESH_MS = 5000;
  const CALLS_PER_PAGE = 20;
  const CALLS_FETCHED = 1000;
  const SVG = 'http://www.w3.org/2000/svg';
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const csrf = document.querySelector('meta[name="csrf-token"]').content;

  const view = {
    collector: null, sources: [], health: [], usage: new Map(), calls: [],
    callsPage: 0, openDiagrams: new Set(),
  };

  // ---- DOM helpers ----------------------------------------------------------------------------------------------

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    setAttributes(node, attributes);
    append(node, children);
    return node;
  }

  function svg(tag, attributes, ...children) {
    const node = document.createElementNS(SVG, tag);
    setAttributes(node, attributes);
    append(node, children);
    return node;
  }

  function setAttributes(node, attributes) {
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'class') node.setAttribute('class', value);
      else if (name === 'text') node.textContent = value;
      else node.setAttribute(name, value === true ? '' : String(value));
    }
  }

  function append(node, children) {
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  // ---- formatting ---------------------------------------------------------------------------------------------

  const DASH = '—';
  const pad = (n) => String(n).padStart(2, '0');
  const number = (n) => (n === null || n === undefined ? DASH : Number(n).toLocaleString('en-US'));

  function utc(iso) {
    if (!iso) return DASH;
    const d = new Date(iso);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  }

  // KnowBe4's Call History format: mm/dd/yyyy, h:mm a (here in UTC).
  function processed(iso) {
    const d = new Date(iso);
    const hours = d.getUTCHours();
    return `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${d.getUTCFullYear()}, ${hours % 12 || 12}:${pad(d.getUTCMinutes())} ${hours < 12 ? 'AM' : 'PM'}`;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return DASH;
    const s = Number(seconds);
    if (s >= 86400) return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
    if (s >= 3600) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
    if (s >= 60) return `${Math.floor(s / 60)} min ${s % 60} s`;
    return `${s} s`;
  }

  function relative(iso) {
    if (!iso) return '';
    const seconds = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
    const text = duration(Math.abs(seconds));
    return seconds >= 0 ? `in ${text}` : `${text} ago`;
  }

  const success = (status) => status !== null && status !== undefined && status >= 200 && status < 300;

  // ---- API ----------------------------------------------------------------------------------------------------

  async function getJson(path) {
    const response = await fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (response.status === 401) {
      window.location.assign('/signin');
      throw new Error('signed out');
    }
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.json();
  }

  async function post(path) {
    const response = await fetch(path, {
      method: 'POST', credentials: 'same-origin', headers: { Accept: 'application/json', 'X-CSRF-Token': csrf },
    });
    const body = await response.json().catch(() => ({}));
    if (response.status === 401) window.location.assign('/signin');
    return { ok: response.ok, status: response.status, body };
  }

  const sourcePath = (id) => `${API}/sources/${encodeURIComponent(id)}`;

  async function load() {
    const [collector, sources, health] = await Promise.all([
      getJson(API), getJson(`${API}/sources`), getJson('/api/v1/healthEvents?limit=200'),
    ]);
    const perSource = await Promise.all(sources.sources.map((source) => Promise.all([
      getJson(`${sourcePath(source.id)}/usage`),
      getJson(`${sourcePath(source.id)}/calls?limit=${CALLS_FETCHED}`),
    ])));
    view.collector = collector.collector;
    view.sources = sources.sources;
    view.health = health.data;
    view.usage = new Map();
    view.calls = [];
    sources.sources.forEach((source, index) => {
      const [usage, calls] = perSource[index];
      view.usage.set(source.id, usage);
      for (const call of calls.data) view.calls.push({ ...call, source });
    });
    view.calls.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
  }

  // One load at a time; a refresh asked for during a load runs once more after it, so what it shows is newer than the ask.
  let running = null;
  let queued = null;
  let started = 0;
  let completed = 0;

  function refresh() {
    if (queued) return queued;
    if (!running) {
      running = loadOnce().finally(() => { running = null; });
      return running;
    }
    queued = running.then(() => { queued = null; return refresh(); });
    return queued;
  }

  async function loadOnce() {
    document.body.dataset.refreshStarted = String(++started);
    try {
      await load();
      render();
      document.body.dataset.loaded = 'true';
      document.getElementById('refreshed').textContent = `Refreshed ${utc(new Date().toISOString())} UTC, every ${REFRESH_MS / 1000} s`;
    } catch (error) {
      if (error.message !== 'signed out') notice(`Could not refresh: ${error.message}`, 'error');
    } finally {
      document.body.dataset.refreshes = String(++completed);
    }
  }

  function notice(text, kind) {
    const node = document.getElementById('notice');
    node.textContent = text;
    node.className = `notice ${kind || ''}`;
    node.hidden = false;
  }

  // ---- rendering ----------------------------------------------------------------------------------------------

  function render() {
    renderCollector();
    renderSources();
    renderHealth();
    renderCalls();
    renderStats();
    document.title = `${view.collector.name} · Kb4Collector`;
  }

  // A labelled value; data-value holds the raw JSON value (the display text when none is given), "" when absent.
  function field(name, label, display, ...rest) {
    const raw = rest.length > 0 ? rest[0] : display;
    return el('div', { class: 'fact' },
      el('dt', {}, label),
      el('dd', { 'data-field': name, 'data-value': raw ?? '' }, display ?? DASH, rest[1] || null));
  }

  function renderCollector() {
    const c = view.collector;
    const states = Object.entries(c.states).map(([state, count]) =>
      el('span', { class: `chip state-${state}${count ? '' : ' zero'}`, 'data-state': state, 'data-count': count }, `${state} ${count}`));
    const problems = c.configProblems.length === 0
      ? el('p', { class: 'muted', 'data-field': 'configProblems', 'data-value': 0 }, 'No configuration problems.')
      : el('details', { class: 'problems-box', open: c.configProblems.some((p) => p.severity === 'Error') },
        el('summary', { class: c.configProblems.some((p) => p.severity === 'Error') ? 'Error' : 'Warning' },
          `${c.configProblems.length} configuration problem${c.configProblems.length === 1 ? '' : 's'}`),
        el('ul', { class: 'problems', 'data-field': 'configProblems', 'data-value': c.configProblems.length },
          c.configProblems.map((p) => el('li', { class: `severity-${p.severity}` },
            el('strong', {}, p.severity), ` ${p.file}`, p.source ? ` · source ${p.source}` : '', ' · ', el('code', {}, p.field), `: ${p.message}`))));
    const section = document.getElementById('collector');
    section.replaceChildren(
      el('div', { class: 'summary-head' },
        el('h1', { 'data-field': 'name' }, c.name),
        el('span', { class: `badge ${c.ready ? 'Healthy' : 'Warning'}`, 'data-field': 'ready', 'data-value': c.ready }, c.ready ? 'Ready' : 'Starting')),
      el('dl', { class: 'facts' },
        field('version', 'Version', c.collectorVersion),
        field('uptime', 'Uptime', duration(c.uptimeSeconds), c.uptimeSeconds),
        c.shard ? field('shard', 'Shard', c.shard) : null,
        field('sourceCount', 'Sources', number(c.sourceCount), c.sourceCount),
        field('unresolved', 'Unresolved health events', number(c.unresolvedHealthEvents), c.unresolvedHealthEvents)),
      el('div', { class: 'states', 'aria-label': 'Sources by state' }, states),
      problems);
  }

  function renderSources() {
    const list = document.getElementById('source-list');
    list.querySelectorAll('details.lifecycle-box').forEach((d) => {
      const id = d.closest('[data-source-id]').dataset.sourceId;
      if (d.open) view.openDiagrams.add(id); else view.openDiagrams.delete(id);
    });
    if (view.sources.length === 0) {
      list.replaceChildren(el('p', { class: 'muted' }, 'No sources run. Check the source files and the configuration problems above.'));
      return;
    }
    list.replaceChildren(...view.sources.map(sourceCard));
  }

  function sourceCard(s) {
    const st = s.state;
    const checkpoint = s.checkpoint;
    const quota = s.quota;
    const verifiedDays = checkpoint ? checkpoint.days.filter((d) => d.verifiedTotal !== null && d.verifiedTotal !== undefined).length : null;
    const restart = el('button', { type: 'button', 'data-action': 'restart' }, 'Restart');
    restart.addEventListener('click', () => act(restart, `${sourcePath(s.id)}/action/restart`, s.name, 'restart'));
    const replay = el('button', { type: 'button', 'data-action': 'replay', disabled: s.deadLetters === 0, class: 'secondary' },
      `Replay ${number(s.deadLetters)} dead letter${s.deadLetters === 1 ? '' : 's'}`);
    replay.addEventListener('click', () => act(replay, `${sourcePath(s.id)}/deadLetters/action/replay`, s.name, 'replay'));

    const diagram = document.getElementById('lifecycle-template').content.firstElementChild.cloneNode(true);
    const current = diagram.querySelector(`g.state[data-state="${CSS.escape(st.state)}"]`);
    if (current) current.classList.add('current');
    diagram.querySelectorAll('path.move').forEach((move) => {
      if (move.dataset.from === st.state) move.classList.add('from-current');
    });
    const lifecycle = el('details', { class: 'lifecycle-box', open: view.openDiagrams.has(s.id) || st.state !== 'Collecting' },
      el('summary', {}, 'Lifecycle'), diagram);

    return el('article', { class: `card source health-${s.health}`, 'data-source-id': s.id, 'data-health': s.health },
      el('header', {},
        el('div', {},
          el('h3', { 'data-field': 'name' }, s.name),
          el('div', { class: 'muted small' }, el('span', {}, s.id), ' · ', el('span', {}, s.config.category || 'no category'), ' · ', el('span', {}, s.config.baseURL))),
        el('div', { class: 'badges' },
          el('span', { class: `badge ${s.health}`, 'data-field': 'health', 'data-value': s.health, title: `Health: ${s.health}` }, s.health),
          el('span', { class: `badge state state-${st.state}`, 'data-field': 'state', 'data-value': st.state, title: `State: ${st.state}` }, st.state))),
      st.errorClass || st.lastReason ? el('p', { class: `reason ${s.health}` },
        el('strong', { 'data-field': 'errorClass', 'data-value': st.errorClass || '' }, st.errorClass || 'Last reason'), ': ',
        el('span', { 'data-field': 'lastReason', 'data-value': st.lastReason || '' }, st.lastReason || DASH)) : null,
      el('dl', { class: 'facts' },
        field('lastSuccessAt', 'Last successful poll', utc(st.lastSuccessAt), st.lastSuccessAt),
        field('nextAttemptAt', 'Next poll', utc(st.nextAttemptAt), st.nextAttemptAt,
          st.nextAttemptAt ? el('span', { class: 'muted small' }, ` (${relative(st.nextAttemptAt)})`) : null),
        field('nextPollReason', 'Why then', s.nextPollReason),
        field('firstFailureAt', 'First failure', utc(st.firstFailureAt), st.firstFailureAt),
        field('retryWindowEndsAt', 'Retry window ends', utc(st.retryWindowEndsAt), st.retryWindowEndsAt),
        field('eventsDeliveredToday', 'Events delivered today', number(s.eventsDeliveredToday), s.eventsDeliveredToday),
        field('eventsDelivered', 'Events delivered in total', number(s.eventsDelivered), s.eventsDelivered),
        field('checkpointPosition', 'Checkpoint position', s.checkpointPosition),
        field('lastDeliveryAt', 'Checkpoint: last delivery', utc(checkpoint && checkpoint.lastDeliveryAt), checkpoint && checkpoint.lastDeliveryAt),
        field('verifiedDays', 'Checkpoint: days verified', number(verifiedDays), verifiedDays),
        field('backdatedFoundLate', 'Backdated events found late', number(s.backdatedFoundLate), s.backdatedFoundLate),
        field('deadLetters', 'Dead letters', number(s.deadLetters), s.deadLetters),
        field('quotaUsed', 'KnowBe4 calls today', `${number(quota.used)} / ${number(quota.budget)}`, quota.used)),
      s.dataTypes && s.dataTypes.length ? dataTypesTable(s.dataTypes) : null,
      el('div', { class: 'actions' }, restart, replay),
      lifecycle);
  }

  // A "KnowBe4 KMSAT" source's Reporting data types, each with its own health, state, schedule and checkpoint.
  function dataTypesTable(types) {
    return el('div', { class: 'scroll data-types' },
      el('table', { 'aria-label': 'Reporting data types' },
        el('thead', {}, el('tr', {},
          el('th', {}, 'Data type'), el('th', {}, 'Health'), el('th', {}, 'State'), el('th', {}, 'Reason'),
          el('th', {}, 'Last successful poll'), el('th', {}, 'Next poll'), el('th', {}, 'Every'),
          el('th', { class: 'num' }, 'Created'), el('th', { class: 'num' }, 'Updated'), el('th', { class: 'num' }, 'Calls'))),
        el('tbody', {}, types.map((t) => el('tr', { 'data-data-type': t.dataType, 'data-data-type-id': t.id, 'data-health': t.health, class: `health-${t.health}` },
          el('td', { 'data-field': 'dataType' }, t.dataType),
          el('td', {}, el('span', { class: `badge ${t.health}`, 'data-field': 'health', 'data-value': t.health }, t.health)),
          el('td', {}, el('span', { class: `badge state state-${t.state.state}`, 'data-field': 'state', 'data-value': t.state.state }, t.state.state)),
          el('td', { 'data-field': 'lastReason', 'data-value': t.state.lastReason || '' }, t.state.lastReason || ''),
          el('td', { 'data-field': 'lastSuccessAt', 'data-value': t.state.lastSuccessAt || '' }, utc(t.state.lastSuccessAt)),
          el('td', { 'data-field': 'nextAttemptAt', 'data-value': t.state.nextAttemptAt || '' }, utc(t.state.nextAttemptAt)),
          el('td', { 'data-field': 'pollInterval' }, t.checkpoint.effectivePollInterval && t.checkpoint.effectivePollInterval !== t.pollInterval
            ? `${t.pollInterval} (the key's budget: every ${t.checkpoint.effectivePollInterval})` : t.pollInterval),
          el('td', { class: 'num', 'data-field': 'created', 'data-value': t.checkpoint.created }, number(t.checkpoint.created)),
          el('td', { class: 'num', 'data-field': 'updated', 'data-value': t.checkpoint.updated }, number(t.checkpoint.updated)),
          el('td', { class: 'num', 'data-field': 'calls', 'data-value': t.checkpoint.calls }, number(t.checkpoint.calls)))))));
  }

  async function act(button, path, name, kind) {
    button.disabled = true;
    const result = await post(path);
    if (!result.ok) {
      notice(`${kind === 'restart' ? 'Restart' : 'Replay'} of ${name} failed: ${result.body.message || `HTTP ${result.status}`}`, 'error');
    } else if (kind === 'restart') {
      notice(`Restart of ${name} requested.`, 'ok');
    } else {
      const r = result.body;
      notice(`Replay of ${name}: ${r.accepted} accepted, ${r.stillRefused} still refused, ${r.remaining} remaining.`, r.stillRefused ? 'error' : 'ok');
    }
    await refresh();
    // A restart walks through the states in a second or two: look again soon rather than at the next tick.
    if (kind === 'restart') [1000, 2500].forEach((ms) => setTimeout(refresh, ms));
  }

  function renderHealth() {
    const body = document.querySelector('#health-table tbody');
    if (view.health.length === 0) {
      body.replaceChildren(el('tr', {}, el('td', { colspan: 8, class: 'muted' }, 'No health events.')));
      return;
    }
    body.replaceChildren(...view.health.map((h) => el('tr', { class: `severity-${h.severityLevel}${h.resolvedAt ? ' resolved' : ''}`, 'data-event-id': h.eventId },
      el('td', {}, el('span', { class: `badge ${h.resolvedAt ? 'Healthy' : h.severityLevel}` }, h.resolvedAt ? 'Resolved' : 'Open')),
      el('td', { 'data-value': h.eventTime }, utc(h.eventTime)),
      el('td', {}, h.resourceIdentity.name),
      el('td', { 'data-field': 'class' }, h.eventName),
      el('td', {}, h.severityLevel),
      el('td', { 'data-field': 'reason' }, h.details.description),
      el('td', { class: 'num' }, number(h.count)),
      el('td', { 'data-field': 'resolution', 'data-value': h.resolvedAt || '' }, h.resolvedAt ? `resolved ${utc(h.resolvedAt)}` : 'unresolved'))));
  }

  function fillSelect(select, options, keep) {
    const current = select.value;
    select.replaceChildren(...options.map(([value, label]) => el('option', { value }, label)));
    if (keep && options.some(([value]) => value === current)) select.value = current;
  }

  function filteredCalls() {
    const source = document.getElementById('calls-source').value;
    const status = document.getElementById('calls-status').value;
    return view.calls.filter((call) => (!source || call.source.id === source)
      && (!status || (status === 'success') === success(call.status)));
  }

  function renderCalls() {
    fillSelect(document.getElementById('calls-source'), [['', 'All sources'], ...view.sources.map((s) => [s.id, s.name])], true);
    const calls = filteredCalls();
    const pages = Math.max(1, Math.ceil(calls.length / CALLS_PER_PAGE));
    view.callsPage = Math.min(view.callsPage, pages - 1);
    const page = calls.slice(view.callsPage * CALLS_PER_PAGE, (view.callsPage + 1) * CALLS_PER_PAGE);
    const body = document.querySelector('#calls-table tbody');
    body.replaceChildren(...(page.length === 0
      ? [el('tr', {}, el('td', { colspan: 8, class: 'muted' }, 'No calls match.'))]
      : page.map((call) => el('tr', { 'data-call-id': call.id, 'data-source-id': call.source.id },
        el('td', { 'data-field': 'status', 'data-value': call.status ?? '' },
          el('span', { class: `badge ${success(call.status) ? 'Healthy' : 'Error'}` }, success(call.status) ? 'Success' : 'Failure'),
          ` ${call.status ?? 'no answer'}`),
        el('td', { class: 'mono' }, call.id),
        el('td', {}, call.source.name),
        el('td', { class: 'mono', 'data-field': 'key' }, call.source.quota.keyFingerprint),
        el('td', { class: 'mono' }, call.endpoint),
        el('td', { class: 'num', 'data-field': 'events' }, number(call.events)),
        el('td', { 'data-field': 'error' }, call.error || ''),
        el('td', { 'data-field': 'processed', 'data-value': call.time }, processed(call.time))))));
    document.getElementById('calls-page').textContent =
      `Page ${view.callsPage + 1} of ${pages} · ${number(calls.length)} call${calls.length === 1 ? '' : 's'}`;
    document.getElementById('calls-prev').disabled = view.callsPage === 0;
    document.getElementById('calls-next').disabled = view.callsPage >= pages - 1;
  }

  // ---- stats and charts ---------------------------------------------------------------------------------------

  function renderStats() {
    const select = document.getElementById('stats-source');
    fillSelect(select, view.sources.map((s) => [s.id, `${s.name} (key ${s.quota.keyFingerprint})`]), true);
    const container = document.getElementById('stats');
    const source = view.sources.find((s) => s.id === select.value);
    if (!source) {
      container.replaceChildren(el('p', { class: 'muted' }, 'No sources.'));
      return;
    }
    const usage = view.usage.get(source.id);
    const today = usage.today;
    const [year, month] = today.day.split('-').map(Number);
    const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
    const monthUsage = usage.months.find((m) => m.year === year && m.month === month);
    const used = monthUsage ? monthUsage.calls : 0;
    const allowance = today.budget * daysInMonth;
    const seats = source.config.licensedUsers;
    const allowanceText = seats
      ? `10 × ${number(seats)} seats × ${daysInMonth} days`
      : `${number(today.budget)} calls a day × ${daysInMonth} days`;
    const share = today.budget ? (today.budget - today.manualReserve) / today.budget : 0;

    container.replaceChildren(
      el('article', { class: 'card chart', id: 'stats-month' },
        el('h3', {}, `${MONTHS[month - 1]} ${year}: quota used`),
        progressCircle(used, allowance),
        el('p', { class: 'muted small' }, `${number(used)} of ${number(allowance)} calls (${allowanceText})`)),
      el('article', { class: 'card chart', id: 'stats-year' },
        el('h3', {}, `${year}: calls by month`),
        bars('year', MONTHS.map((name, index) => {
          const m = usage.months.find((x) => x.year === year && x.month === index + 1);
          return { key: index + 1, label: name, value: m ? m.calls : null };
        }))),
      el('article', { class: 'card chart', id: 'stats-today' },
        el('h3', {}, `Today (${today.day} UTC)`),
        meter(today.used, today.budget),
        el('dl', { class: 'facts' },
          field('todayUsed', 'Calls used', number(today.used), today.used),
          field('todayBudget', 'Daily budget', number(today.budget), today.budget),
          field('remainingScheduled', 'Left for the collector', number(today.remainingScheduled), today.remainingScheduled),
          field('manualReserve', 'Reserve for manual calls', number(today.manualReserve), today.manualReserve),
          field('share', "Collector's share", `${Math.round(share * 100)} %`, share.toFixed(4)),
          field('pollsPerDay', 'Plan: polls per day', source.plan ? number(source.plan.pollsPerDay) : null, source.plan ? source.plan.pollsPerDay : null),
          field('rescanPeriod', 'Plan: rescan period', source.plan ? duration(source.plan.rescanPeriodSeconds) : null,
            source.plan ? source.plan.rescanPeriodSeconds : null))),
      el('article', { class: 'card chart wide', id: 'stats-days' },
        el('h3', {}, 'Last 30 days: calls by day'),
        bars('days', usage.days.map((d) => ({ key: d.day, label: d.day.slice(8), value: d.calls })))));
  }

  function progressCircle(used, allowance) {
    const radius = 52;
    const circumference = 2 * Math.PI * radius;
    const fraction = allowance > 0 ? Math.min(1, used / allowance) : 0;
    const percent = allowance > 0 ? (used / allowance) * 100 : 0;
    return svg('svg', { class: 'progress', viewBox: '0 0 140 140', role: 'img', 'aria-label': `${percent.toFixed(1)} % of this month's quota used`,
      'data-used': used, 'data-allowance': allowance },
      svg('circle', { class: 'track', cx: 70, cy: 70, r: radius }),
      fraction > 0 ? svg('circle', { class: `value${fraction > 0.8 ? ' high' : ''}`, cx: 70, cy: 70, r: radius, transform: 'rotate(-90 70 70)',
        'stroke-dasharray': `${(fraction * circumference).toFixed(2)} ${circumference.toFixed(2)}` }) : null,
      svg('text', { x: 70, y: 68, 'text-anchor': 'middle', class: 'big', 'data-field': 'percent' }, `${percent < 1 ? percent.toFixed(2) : percent < 10 ? percent.toFixed(1) : Math.round(percent)}%`),
      svg('text', { x: 70, y: 88, 'text-anchor': 'middle', class: 'small' }, 'used'));
  }

  function bars(name, items) {
    // The 30-day chart spans the card: a wider drawing keeps it from growing tall.
    const width = items.length > 12 ? 1000 : 600;
    const height = 180;
    const bottom = 150;
    const top = 14;
    const max = Math.max(1, ...items.map((i) => i.value || 0));
    const step = width / items.length;
    const barWidth = Math.max(2, step * 0.62);
    const chart = svg('svg', { class: `bars bars-${name}`, viewBox: `0 0 ${width} ${height}`, role: 'img',
      'aria-label': `${name} usage`, 'data-max': max });
    chart.append(svg('line', { class: 'axis', x1: 0, x2: width, y1: bottom, y2: bottom }));
    chart.append(svg('text', { class: 'axis-label', x: 2, y: top - 2 }, `max ${number(max)}`));
    items.forEach((item, index) => {
      const value = item.value || 0;
      const h = ((bottom - top) * value) / max;
      const x = index * step + (step - barWidth) / 2;
      chart.append(svg('rect', { class: `bar${item.value === null ? ' empty' : ''}`, x: x.toFixed(1), y: (bottom - h).toFixed(1),
        width: barWidth.toFixed(1), height: h.toFixed(1), 'data-key': item.key, 'data-value': item.value ?? '' },
        svg('title', {}, `${item.label}: ${item.value === null ? 'no data' : `${number(item.value)} calls`}`)));
      if (items.length <= 12 || index % 3 === 0) {
        chart.append(svg('text', { class: 'axis-label', x: (index * step + step / 2).toFixed(1), y: bottom + 18, 'text-anchor': 'middle' }, item.label));
      }
    });
    return chart;
  }

  function meter(used, budget) {
    const fraction = budget > 0 ? Math.min(1, used / budget) : 0;
    return svg('svg', { class: 'meter', viewBox: '0 0 300 16', preserveAspectRatio: 'none', role: 'img',
      'aria-label': `${used} of ${budget} calls today`, 'data-used': used, 'data-budget': budget },
      svg('rect', { class: 'track', x: 0, y: 0, width: 300, height: 16, rx: 8 }),
      svg('rect', { class: `value${fraction > 0.8 ? ' high' : ''}`, x: 0, y: 0, width: (300 * fraction).toFixed(1), height: 16, rx: 8 }));
  }

  // ---- tabs and wiring ----------------------------------------------------------------------------------------

  function showTab() {
    const tab = (window.location.hash || '#sources').slice(1);
    const known = ['sources', 'health', 'calls', 'stats'].includes(tab) ? tab : 'sources';
    document.querySelectorAll('[data-view]').forEach((section) => { section.hidden = section.dataset.view !== known; });
    document.querySelectorAll('.tabs a').forEach((link) => {
      if (link.dataset.tab === known) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
    });
  }

  document.addEventListener('DOMContentLoaded', () => {
    window.addEventListener('hashchange', showTab);
    showTab();
    const rerenderCalls = () => { view.callsPage = 0; renderCalls(); };
    document.getElementById('calls-source').addEventListener('change', rerenderCalls);
    document.getElementById('calls-status').addEventListener('change', rerenderCalls);
    document.getElementById('calls-prev').addEventListener('click', () => { view.callsPage -= 1; renderCalls(); });
    document.getElementById('calls-next').addEventListener('click', () => { view.callsPage += 1; renderCalls(); });
    document.getElementById('stats-source').addEventListener('change', renderStats);
    document.getElementById('refresh').addEventListener('click', refresh);
    refresh();
    setInterval(refresh, REFRESH_MS);
  });
})();
