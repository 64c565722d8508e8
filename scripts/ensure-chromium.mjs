// Before the e2e tier: the dashboard's browser test drives Debian's headless Chromium (CHROMIUM_PATH, or
// /usr/bin/chromium). On a fresh machine, where we may, this installs it, so that `npm test` does all its
// own set-up; elsewhere it says what to install.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  if (process.getuid?.() !== 0 || process.env.CHROMIUM_PATH) {
    console.error(`Chromium is missing at ${chromium}: install Debian's chromium package, or set CHROMIUM_PATH.`);
    process.exit(1);
  }
  console.log("Chromium is missing: installing Debian's chromium package for the e2e tier");
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit' });
}
