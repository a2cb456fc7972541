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
  const sessions = new Map();
  for (const line of lines) {
    const tab = line.indexOf('\t');
    const rec = { capture: line.slice(0, tab), filter: line.slice(tab + 1) };
    const check = lib.checkFilter(rec.filter);
    if (!check.ok) {
      rec.error = check.error;
    } else {
      if (!sessions.has(rec.capture)) {
        const name = '/uploads/c' + sessions.size;
        lib.FS.writeFile(name, fs.readFileSync(rec.capture));
        const s = new lib.DissectSession(name);
        const r = s.load();
        if (r.code !== 0) throw new Error(rec.capture + ': ' + (r.error || 'load failed'));
        sessions.set(rec.capture, s);
      }
      const res = sessions.get(rec.capture).getFrames(rec.filter, 0, 0);
      rec.frames = [];
      for (let i = 0; i < res.frames.size(); i++) rec.frames.push(res.frames.get(i).number);
    }
    console.log(JSON.stringify(rec));
  }
})();
