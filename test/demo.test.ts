import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** The README's first command (`npm start`) runs the demo: it must keep working from the build. */
describe('npm start', () => {
  it('receives every provider\'s examples, refuses the tampered copies, and sends through SQLite', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['dist/demo/main.js'], { timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
    expect(stdout).toContain('GitHub (http://127.0.0.1:');
    expect(stdout).toMatch(/✓ 200 {2}issues\.opened\n {8}issue #1 /);
    expect(stdout).toMatch(/✗ 401 {2}issues\.opened, one body byte changed\n {8}signature_mismatch/);
    expect(stdout).toMatch(/✓ 200 {2}a message with two notifications, acknowledged/);
    expect(stdout).toMatch(/received invoice\.paid .*verified v1/);
    expect(stdout).toMatch(/2 deliveries: succeeded after \d attempt\(s\), succeeded after \d attempt\(s\); 3 HTTP requests/);
  });
});
