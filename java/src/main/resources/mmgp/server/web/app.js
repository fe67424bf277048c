// The mmgp web page: submits a request, follows it over server-sent events, shows the results.
// EventSource cannot send headers, so the key travels as ?api_key= on the events URL only (the
// server accepts it nowhere else); every other call sends it as "Authorization: Bearer".
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const form = $('request-form');
  let events = null;
  let currentId = null;
  let finishedId = null;
  const objectUrls = [];

  $('api-key').value = sessionStorage.getItem('mmgp.apiKey') || '';
  $('task').addEventListener('change', showFields);
  showFields();

  function showFields() {
    const task = $('task').value;
    const needsFile = task === 'understand' || task === 'pipeline';
    $('file-row').hidden = !needsFile;
    $('image-row').hidden = task !== 'video';
    $('prompt-row').hidden = task === 'pipeline';
    $('prompt').placeholder = task === 'understand' ? 'What happens in this video?' : 'A red ball rolling across a wooden floor';
  }

  function key() {
    return $('api-key').value.trim();
  }

  function authHeaders() {
    return key() ? { 'Authorization': 'Bearer ' + key() } : {};
  }

  function parseOptions() {
    const text = $('options').value.trim();
    if (!text) return {};
    const parsed = JSON.parse(text);
    if (typeof parsed !== 'object' || Array.isArray(parsed) || parsed === null) throw new Error('options must be a JSON object');
    return parsed;
  }

  function buildRequest(task) {
    const options = parseOptions();
    const image = task === 'video' ? $('image').files[0] : null;
    if (image) { // image to video: the same fields as text, the picture as the file field "image"
      const data = new FormData();
      data.append('image', image);
      data.append('prompt', $('prompt').value);
      for (const [k, v] of Object.entries(options)) data.append(k, String(v));
      return { url: '/api/generate/video', body: data, headers: {} };
    }
    if (task === 'image' || task === 'video') {
      return { url: '/api/generate/' + task, body: JSON.stringify(Object.assign({ prompt: $('prompt').value }, options)),
        headers: { 'Content-Type': 'application/json' } };
    }
    const file = $('file').files[0];
    if (!file) throw new Error('choose a video file first');
    const data = new FormData();
    if (task === 'understand') {
      data.append('file', file);
      data.append('prompt', $('prompt').value);
      for (const [k, v] of Object.entries(options)) data.append(k, String(v));
      return { url: '/api/understand/video', body: data, headers: {} };
    }
    data.append('video', file);
    data.append('options', JSON.stringify(options));
    return { url: '/api/pipeline/full', body: data, headers: {} };
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    sessionStorage.setItem('mmgp.apiKey', key());
    reset();
    let req;
    try {
      req = buildRequest($('task').value);
    } catch (err) {
      return showError(err.message);
    }
    $('status').textContent = 'submitting';
    const res = await fetch(req.url, { method: 'POST', body: req.body, headers: Object.assign(authHeaders(), req.headers) });
    const body = await res.json().catch(() => ({}));
    if (res.status !== 202) {
      $('status').textContent = 'refused';
      return showError(errorText(res, body));
    }
    follow(body.request_id);
  });

  $('cancel').addEventListener('click', async () => {
    if (!currentId) return;
    const res = await fetch('/api/requests/' + currentId, { method: 'DELETE', headers: authHeaders() });
    if (res.status !== 202) showError(errorText(res, await res.json().catch(() => ({}))));
  });

  function errorText(res, body) {
    const err = body && body.error;
    let text = err ? err.message : 'HTTP ' + res.status;
    if (err && err.field) text += ' (field: ' + err.field + ')';
    const retry = res.headers.get('Retry-After');
    if (retry) text += ' — retry in ' + retry + ' s';
    return text;
  }

  function reset() {
    if (events) events.close();
    events = null;
    currentId = null;
    objectUrls.splice(0).forEach(URL.revokeObjectURL);
    $('job').hidden = false;
    $('request-id').textContent = '';
    $('status').textContent = '-';
    $('stage').textContent = '';
    $('progress').value = 0;
    $('error').textContent = '';
    $('caption').textContent = '';
    $('downloads').textContent = '';
    $('result-image').hidden = true;
    $('result-video').hidden = true;
    $('cancel').disabled = true;
  }

  function showError(text) {
    $('job').hidden = false;
    $('error').textContent = text;
  }

  function follow(id) {
    currentId = id;
    $('request-id').textContent = id;
    $('cancel').disabled = false;
    const url = '/api/requests/' + id + '/events' + (key() ? '?api_key=' + encodeURIComponent(key()) : '');
    events = new EventSource(url);
    events.addEventListener('state', (e) => showState(JSON.parse(e.data)));
    events.addEventListener('progress', (e) => showProgress(JSON.parse(e.data)));
    events.addEventListener('stage', (e) => { $('stage').textContent = 'finished ' + JSON.parse(e.data).stage; });
    events.addEventListener('text', (e) => { $('caption').textContent += JSON.parse(e.data).piece; });
    events.addEventListener('status', (e) => {
      const s = JSON.parse(e.data);
      $('status').textContent = s.status;
      if (['done', 'failed', 'cancelled'].includes(s.status)) {
        events.close();
        events = null;
        finish(s);
      }
    });
    // The server ends the stream after the final status; a drop before that is retried by EventSource.
    events.onerror = () => { if (events && events.readyState === EventSource.CLOSED) showError('lost the event stream'); };
  }

  function showState(s) {
    $('status').textContent = s.status;
    if (s.progress) showProgress(s.progress);
    $('caption').textContent = s.caption || '';
    if (['done', 'failed', 'cancelled'].includes(s.status)) finish(s);
  }

  function showProgress(p) {
    if (p.stage) $('stage').textContent = p.stage + ' ' + p.done + '/' + p.total;
    if (p.total > 0) $('progress').value = p.done / p.total;
  }

  async function finish(s) {
    if (finishedId === s.request_id) return; // the replayed state and the final status both end a finished job
    finishedId = s.request_id;
    $('cancel').disabled = true;
    $('status').textContent = s.status;
    if (s.caption) $('caption').textContent = s.caption;
    if (s.error) showError(s.error);
    if (s.status === 'done') $('progress').value = 1;
    const links = s.results || {};
    for (const [name, href] of Object.entries(links)) {
      const url = await download(href);
      if (!url) continue;
      if (name === 'image.png') { $('result-image').src = url; $('result-image').hidden = false; }
      if (name === 'video.mp4') { $('result-video').src = url; $('result-video').hidden = false; }
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      a.textContent = name;
      $('downloads').appendChild(a);
      $('downloads').appendChild(document.createTextNode(' '));
    }
  }

  // Downloads need the key too, so they are fetched and shown from blob URLs.
  async function download(href) {
    const res = await fetch(href, { headers: authHeaders() });
    if (!res.ok) return null;
    const url = URL.createObjectURL(await res.blob());
    objectUrls.push(url);
    return url;
  }
})();
