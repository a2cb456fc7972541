// Applies display filters with Wireshark 4.4 (the wiregasm WebAssembly
// build): reads lines "CAPTURE<TAB>FILTER" on stdin, paths relative to the
// working directory, and prints one JSON object per line:
// {"capture", "filter", "frames": [frame numbers]} or {..., "error"}.
// Needs: npm install --prefix /tmp/wiregasm @goodtools/wiregasm@1.9.1
// (or WIREGASM_DIR set to the package's dist folder). Run by
// go test ./analyzer/filter -run TestWireshark -update44
const path = require('path'), fs = require('fs');
const WG = process.env.WIREGASM_DIR || '/tmp/wiregasm/node_modules/@goodtools/wiregasm/dist';
const loadWiregasm = require(path.join(WG, 'wiregasm.js'));
(async () => {
  const lib = await loadWiregasm({ locateFile: (p) => path.join(WG, p), print: () => {}, printErr: () => {}, handleStatus: () => {} });
  lib.init();
  const lines = fs.readFileSync(0, 'utf8').split('\n').filter(Boolean);
  // One capture open at a time: the lines come grouped by capture.
  let open = null, session = null, loadError = '';
  for (const line of lines) {
    const tab = line.indexOf('\t');
    const rec = { capture: line.slice(0, tab), filter: line.slice(tab + 1) };
    const check = lib.checkFilter(rec.filter);
    if (!check.ok) {
      rec.error = check.error;
      console.log(JSON.stringify(rec));
      continue;
    }
    if (open !== rec.capture) {
      if (session) session.delete();
      open = rec.capture, session = null, loadError = '';
      lib.FS.writeFile('/uploads/cap', fs.readFileSync(rec.capture));
      session = new lib.DissectSession('/uploads/cap');
      const r = session.load();
      if (r.code !== 0) loadError = r.error || 'load failed';
    }
    if (loadError) {
      rec.load_error = loadError; // frames read before it count all the same
    }
    {
      const res = session.getFrames(rec.filter, 0, 0);
      rec.frames = [];
      for (let i = 0; i < res.frames.size(); i++) rec.frames.push(res.frames.get(i).number);
    }
    console.log(JSON.stringify(rec));
  }
})();
