// The mmgp web page: one form per task, live progress over a WebSocket (the event stream as a
// fallback), results inline, and the key's history as a gallery. Browsers' WebSocket and
// EventSource cannot send headers, so the key travels as ?api_key= on those two URLs only (the
// server accepts it nowhere else); every other call sends it as "Authorization: Bearer", and
// result files are fetched with it and shown from blob URLs.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const FINAL = ['done', 'failed', 'cancelled', 'refused'];
  const PIPELINE_STAGES = ['caption', 'image', 'video'];
  const HISTORY_PAGE = 12;

  let task = 'understand';
  let run = null; // the jobs of the last submission: { task, jobs: [job views] }
  let understandUrl = '/api/understand'; // falls back to /api/understand/video on servers without it
  let historyNext = null;
  let historyUrls = [];
  let historyLoad = 0; // the number of the latest history load
  let viewerUrls = [];

  $('api-key').value = sessionStorage.getItem('mmgp.apiKey') || '';
  $('api-key').addEventListener('change', () => { saveKey(); loadHistory(false); });
  for (const tab of document.querySelectorAll('#tasks [data-task]')) tab.addEventListener('click', () => select(tab.dataset.task));
  for (const form of document.querySelectorAll('.task-form')) form.addEventListener('submit', submit);
  $('cancel').addEventListener('click', cancelRun);
  $('history-refresh').addEventListener('click', () => loadHistory(false));
  $('history-task').addEventListener('change', () => loadHistory(false));
  $('history-more').addEventListener('click', () => loadHistory(true));
  $('viewer-close').addEventListener('click', closeViewer);
  setInterval(tick, 500);
  select(task);
  loadHistory(false);

  // ---- tasks and forms ----

  function select(t) {
    task = t;
    for (const tab of document.querySelectorAll('#tasks [data-task]')) tab.setAttribute('aria-selected', String(tab.dataset.task === t));
    for (const form of document.querySelectorAll('.task-form')) form.hidden = form.dataset.task !== t;
    $('form-error').hidden = true;
    closeViewer();
    // Only the chosen task's own last run shows: never another task's result under this form.
    $('run').hidden = !run || run.task !== t;
  }

  function key() {
    return $('api-key').value.trim();
  }

  function saveKey() {
    sessionStorage.setItem('mmgp.apiKey', key());
  }

  function authHeaders() {
    return key() ? { 'Authorization': 'Bearer ' + key() } : {};
  }

  /** The named, non-empty fields of a form (files left out): numbers as numbers unless {@code asText}. */
  function fields(form, asText) {
    const out = {};
    for (const el of form.elements) {
      if (!el.name || el.type === 'file' || el.value.trim() === '') continue;
      out[el.name] = el.type === 'number' && !asText ? Number(el.value) : el.value;
    }
    return out;
  }

  function multipart(fileField, file, values) {
    const data = new FormData();
    if (file) data.append(fileField, file);
    for (const [k, v] of Object.entries(values)) data.append(k, String(v));
    return data;
  }

  function json(url, body) {
    return { url: url, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } };
  }

  function number(id) {
    const v = $(id).value.trim();
    return v === '' ? undefined : Number(v);
  }

  /** The requests a form's submission makes: one, or one per image for a count above one. */
  function build(t) {
    const form = $('form-' + t);
    if (t === 'understand') {
      const file = $('u-file').files[0];
      if (!file) throw new Error('choose a picture or a video first');
      return [{ understand: true, body: multipart('file', file, fields(form, true)), headers: {} }];
    }
    if (t === 'image') {
      const values = fields(form, false);
      const count = Math.min(4, Math.max(1, number('i-count') || 1));
      if (count === 1) return [json('/api/generate/image', values)];
      // several pictures of one prompt: consecutive seeds, from the one given or a random one
      const base = values.seed !== undefined ? values.seed : Math.floor(Math.random() * 2147483000);
      return Array.from({ length: count }, (_, i) => json('/api/generate/image', Object.assign({}, values, { seed: base + i })));
    }
    if (t === 'video') {
      const image = $('v-image').files[0];
      if (image) return [{ url: '/api/generate/video', body: multipart('image', image, fields(form, true)), headers: {} }];
      return [json('/api/generate/video', fields(form, false))];
    }
    const video = $('p-video').files[0];
    if (!video) throw new Error('choose a video first');
    const options = { caption: {}, image: {}, video: {}, video_from_image: $('p-from-image').checked };
    if ($('p-caption-prompt').value.trim()) options.caption_prompt = $('p-caption-prompt').value.trim();
    if (number('p-caption-tokens') !== undefined) options.caption.max_new_tokens = number('p-caption-tokens');
    if (number('p-image-steps') !== undefined) options.image.steps = number('p-image-steps');
    if (number('p-video-frames') !== undefined) options.video.frames = number('p-video-frames');
    if (number('p-video-steps') !== undefined) options.video.steps = number('p-video-steps');
    if (number('p-seed') !== undefined) options.image.seed = options.video.seed = number('p-seed');
    const size = $('p-size').value.trim();
    if (size) {
      const m = /^(\d+)x(\d+)$/.exec(size);
      if (!m) throw new Error('size is width x height, e.g. 512x320');
      options.image.width = options.video.width = Number(m[1]);
      options.image.height = options.video.height = Number(m[2]);
    }
    return [{ url: '/api/pipeline/full', body: multipart('video', video, { options: JSON.stringify(options) }), headers: {} }];
  }

  async function submit(e) {
    e.preventDefault();
    saveKey();
    $('form-error').hidden = true;
    let requests;
    try {
      requests = build(task);
    } catch (err) {
      $('form-error').textContent = err.message;
      $('form-error').hidden = false;
      return;
    }
    startRun(task);
    const jobs = requests.map(() => addJob(run, task));
    for (let i = 0; i < requests.length; i++) {
      const view = jobs[i];
      try {
        const { res, body } = await post(requests[i]);
        if (view.discarded) return;
        if (res.status !== 202) refused(view, errorText(res, body));
        else follow(view, body.request_id);
      } catch (err) {
        refused(view, 'could not reach the server: ' + err.message);
      }
    }
  }

  async function post(r) {
    const send = async (url) => {
      const res = await fetch(url, { method: 'POST', body: r.body, headers: Object.assign(authHeaders(), r.headers) });
      return { res: res, body: await res.json().catch(() => ({})) };
    };
    if (!r.understand) return send(r.url);
    let answer = await send(understandUrl);
    if (answer.res.status === 404 && understandUrl === '/api/understand') {
      understandUrl = '/api/understand/video'; // a server from before /api/understand took pictures
      answer = await send(understandUrl);
    }
    return answer;
  }

  function errorText(res, body) {
    const err = body && body.error;
    let text = err ? err.message : 'HTTP ' + res.status;
    if (err && err.field) text += ' (field: ' + err.field + ')';
    const retry = res.headers.get('Retry-After');
    if (retry) text += ' — retry in ' + retry + ' s';
    return text;
  }

  // ---- a run: the jobs of one submission ----

  function startRun(t) {
    if (run) for (const j of run.jobs) discard(j);
    run = { task: t, jobs: [] };
    closeViewer();
    $('jobs').textContent = '';
    $('run').hidden = false;
    $('run-status').textContent = 'submitting';
    $('cancel').disabled = true;
  }

  function addJob(r, t) {
    const node = $('job-template').content.firstElementChild.cloneNode(true);
    $('jobs').appendChild(node);
    const view = {
      node: node, task: t, id: null, status: 'submitting', submitted: performance.now(), ended: false, discarded: false,
      socket: null, events: null, stage: null, ref: null, eta: null, finished: [], urls: [],
      part: (name) => node.querySelector('.job-' + name),
    };
    view.part('task').textContent = t;
    r.jobs.push(view);
    return view;
  }

  function discard(view) {
    view.discarded = true;
    if (view.socket) view.socket.close();
    if (view.events) view.events.close();
    view.urls.forEach(URL.revokeObjectURL);
  }

  function refused(view, text) {
    view.status = 'refused';
    view.ended = true;
    view.part('status').textContent = 'refused';
    showError(view, text);
    runStatus();
  }

  function showError(view, text) {
    view.part('error').textContent = text;
    view.part('error').hidden = false;
  }

  async function cancelRun() {
    if (!run) return;
    for (const view of run.jobs) {
      if (view.ended || !view.id) continue;
      const res = await fetch('/api/requests/' + view.id, { method: 'DELETE', headers: authHeaders() });
      if (res.status !== 202 && res.status !== 409) showError(view, errorText(res, await res.json().catch(() => ({}))));
    }
  }

  function runStatus() {
    if (!run) return;
    const jobs = run.jobs;
    const open = jobs.filter((j) => !j.ended);
    let text;
    if (jobs.length === 1) text = jobs[0].status;
    else if (open.length > 0) text = (open.some((j) => j.status === 'running') ? 'running' : open[0].status) + ' (' + (jobs.length - open.length) + ' of ' + jobs.length + ' ended)';
    else if (jobs.every((j) => j.status === 'done')) text = 'done';
    else text = jobs.map((j) => j.status).join(', ');
    $('run-status').textContent = text;
    $('cancel').disabled = !jobs.some((j) => !j.ended && j.id);
  }

  // ---- following a job: WebSocket first, the event stream if it cannot open ----

  function follow(view, id) {
    view.id = id;
    view.status = 'queued';
    view.part('id').textContent = id;
    view.part('status').textContent = 'queued';
    runStatus();
    const query = key() ? '?api_key=' + encodeURIComponent(key()) : '';
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/requests/' + id + '/ws' + query;
    let socket;
    try {
      socket = new WebSocket(url);
    } catch (err) {
      return followEvents(view, id, query);
    }
    view.socket = socket;
    socket.onmessage = (m) => {
      const e = JSON.parse(m.data);
      handle(view, e.event, e.data);
    };
    // Closed by the server after the final status; any other close (a proxy without WebSockets,
    // a dropped connection) continues on the event stream, which replays the state first.
    socket.onclose = () => {
      view.socket = null;
      if (!view.ended && !view.discarded) followEvents(view, id, query);
    };
  }

  function followEvents(view, id, query) {
    const events = new EventSource('/api/requests/' + id + '/events' + query);
    view.events = events;
    for (const name of ['state', 'status', 'progress', 'stage', 'text']) {
      events.addEventListener(name, (e) => handle(view, name, JSON.parse(e.data)));
    }
    events.onerror = () => {
      if (events.readyState === EventSource.CLOSED && !view.ended) showError(view, 'lost the progress stream');
    };
  }

  function handle(view, name, data) {
    if (view.discarded) return;
    if (name === 'state') {
      if (data.caption) showCaption(view, data.caption);
      if (data.timings) for (const [stage, seconds] of Object.entries(data.timings)) finishedStage(view, stage, seconds);
      if (data.progress) showProgress(view, data.progress);
      setStatus(view, data);
    } else if (name === 'status') {
      setStatus(view, data);
    } else if (name === 'progress') {
      showProgress(view, data);
    } else if (name === 'stage') {
      finishedStage(view, data.stage, data.seconds);
    } else if (name === 'text') {
      showCaption(view, (view.part('caption').textContent || '') + data.piece);
    }
  }

  function setStatus(view, s) {
    if (view.ended) return;
    view.status = s.status;
    view.part('status').textContent = s.status;
    runStatus();
    if (FINAL.includes(s.status)) finish(view, s);
  }

  function showCaption(view, text) {
    view.part('caption').textContent = text;
    view.part('caption').hidden = !text;
  }

  function showProgress(view, p) {
    if (!p || !p.stage || !p.total) return;
    const now = performance.now();
    if (p.stage !== view.stage || !view.ref || p.done < view.ref.done) {
      view.stage = p.stage;
      view.ref = { t: now, done: p.done };
      view.eta = null;
    } else if (p.done > view.ref.done) {
      // the stage's own pace so far, so a slow first stage does not skew a fast second one
      const perStep = (now - view.ref.t) / (p.done - view.ref.done);
      view.eta = { at: now, ms: perStep * (p.total - p.done) };
    }
    let label = p.stage + ' ' + p.done + '/' + p.total;
    let fraction = p.done / p.total;
    if (view.task === 'pipeline') {
      // one bar for the three stages: it fills a third per stage instead of restarting at each
      const phase = PIPELINE_STAGES.find((s) => !view.finished.some((f) => f.stage === s)) || 'video';
      const index = PIPELINE_STAGES.indexOf(phase);
      label = 'stage ' + (index + 1) + ' of 3: ' + phase + ' · ' + label;
      fraction = Math.max(view.part('bar').value, (index + fraction) / PIPELINE_STAGES.length);
    }
    view.part('stage').textContent = label;
    view.part('bar').value = fraction;
  }

  function finishedStage(view, stage, seconds) {
    if (view.finished.some((f) => f.stage === stage)) return;
    view.finished.push({ stage: stage, seconds: seconds });
    view.part('stages').textContent = 'finished: ' + view.finished.map((f) => f.stage + ' ' + f.seconds.toFixed(1) + ' s').join(', ');
  }

  function tick() {
    if (!run) return;
    const now = performance.now();
    for (const view of run.jobs) {
      if (view.ended || !view.id) continue;
      let text = 'elapsed ' + ((now - view.submitted) / 1000).toFixed(1) + ' s';
      if (view.eta) text += ' · this stage ends in about ' + Math.max(0, (view.eta.ms - (now - view.eta.at)) / 1000).toFixed(0) + ' s';
      view.part('time').textContent = text;
    }
  }

  async function finish(view, s) {
    view.ended = true;
    if (view.socket) view.socket.close();
    if (view.events) view.events.close();
    runStatus();
    view.part('time').textContent = 'took ' + ((performance.now() - view.submitted) / 1000).toFixed(1) + ' s';
    if (s.status === 'done') view.part('bar').value = 1;
    if (s.caption) showCaption(view, s.caption);
    if (s.error) showError(view, s.error);
    await showResults(view.node, s.results || {}, view.urls, () => view.discarded, 'job-');
    loadHistory(false);
  }

  /** Fetches the result files into blob URLs, and shows the picture, the film and download links. */
  async function showResults(container, links, urls, stale, prefix) {
    const downloads = container.querySelector('.' + prefix + 'downloads');
    for (const [name, href] of Object.entries(links)) {
      const url = await blob(href, urls);
      if (!url || stale()) return;
      if (/\.(png|jpe?g)$/.test(name)) show(container.querySelector('.' + prefix + 'image'), url);
      if (/\.mp4$/.test(name)) show(container.querySelector('.' + prefix + 'video'), url);
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      a.textContent = name;
      downloads.appendChild(a);
    }
  }

  function show(el, url) {
    el.src = url;
    el.hidden = false;
  }

  async function blob(href, urls) {
    const res = await fetch(href, { headers: authHeaders() });
    if (!res.ok) return null;
    const url = URL.createObjectURL(await res.blob());
    urls.push(url);
    return url;
  }

  // ---- history ----

  // Loads can overlap (the key field's change fires as the refresh button is clicked, and every
  // finished run reloads): only the latest one draws, so the gallery never shows a tile twice.
  // aria-busy is true while a load is under way.
  async function loadHistory(more) {
    const mine = ++historyLoad;
    $('gallery').setAttribute('aria-busy', 'true');
    try {
      const params = new URLSearchParams({ limit: String(HISTORY_PAGE) });
      if ($('history-task').value) params.set('task', $('history-task').value);
      if (more && historyNext) params.set('before', historyNext);
      const res = await fetch('/api/requests?' + params, { headers: authHeaders() }).catch(() => null);
      const body = res ? await res.json().catch(() => ({})) : {};
      if (mine !== historyLoad) return;
      if (!more) {
        historyUrls.forEach(URL.revokeObjectURL);
        historyUrls = [];
        $('gallery').textContent = '';
      }
      if (!res || !res.ok) {
        $('history-error').textContent = res && res.status === 401 ? 'enter your API key to see your requests' : 'could not load the history: ' + (res ? errorText(res, body) : 'no answer');
        $('history-error').hidden = false;
        $('history-more').hidden = true;
        return;
      }
      $('history-error').hidden = true;
      for (const r of body.requests) $('gallery').appendChild(tile(r));
      if (!more && body.requests.length === 0) $('gallery').textContent = 'no requests yet';
      historyNext = body.next;
      $('history-more').hidden = !historyNext;
    } finally {
      if (mine === historyLoad) $('gallery').setAttribute('aria-busy', 'false');
    }
  }

  function tile(r) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'tile';
    b.dataset.id = r.request_id;
    const links = r.results || {};
    const picture = Object.keys(links).find((n) => /\.(png|jpe?g)$/.test(n));
    // the text stands in for the thumbnail until its picture has loaded (and for good where there is none)
    const t = document.createElement('div');
    t.className = 'thumb-text';
    t.textContent = links['video.mp4'] ? '▶ video' : r.caption ? '“' + r.caption.slice(0, 60) + '”' : r.task;
    b.appendChild(t);
    if (picture) {
      const img = document.createElement('img');
      img.alt = r.task + ' result';
      img.hidden = true;
      img.addEventListener('load', () => { img.hidden = false; t.remove(); }, { once: true });
      b.insertBefore(img, t);
      blob(links[picture], historyUrls).then((url) => { if (url) img.src = url; });
    }
    const line = document.createElement('span');
    line.className = 'status-' + r.status;
    line.textContent = r.task + ' · ' + r.status;
    b.appendChild(line);
    const when = document.createElement('span');
    when.textContent = new Date(r.created_at).toLocaleString();
    b.appendChild(when);
    b.addEventListener('click', () => openViewer(r));
    return b;
  }

  async function openViewer(r) {
    closeViewer();
    $('run').hidden = true; // one result on screen at a time
    $('viewer').hidden = false;
    $('viewer-title').textContent = r.task + ' · ' + r.status + ' · ' + new Date(r.created_at).toLocaleString();
    const body = $('viewer-body');
    body.innerHTML = '<pre class="view-caption" hidden></pre><p class="view-error error" hidden></p>'
      + '<img class="view-image" alt="result" hidden><video class="view-video" controls playsinline hidden></video><p class="view-downloads"></p>';
    if (r.caption) { body.querySelector('.view-caption').textContent = r.caption; body.querySelector('.view-caption').hidden = false; }
    if (r.error) { body.querySelector('.view-error').textContent = r.error; body.querySelector('.view-error').hidden = false; }
    $('viewer').scrollIntoView({ block: 'nearest' }); // below the gallery: bring it on screen
    const token = {};
    $('viewer').token = token;
    await showResults(body, r.results || {}, viewerUrls, () => $('viewer').token !== token, 'view-');
  }

  function closeViewer() {
    $('viewer').hidden = true;
    $('viewer').token = null;
    $('viewer-body').textContent = '';
    viewerUrls.forEach(URL.revokeObjectURL);
    viewerUrls = [];
    if (run && run.task === task) $('run').hidden = false;
  }
})();
