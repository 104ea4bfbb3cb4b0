/** Colours only on a terminal that wants them; plain, stable text otherwise (pipes, CI, NO_COLOR). */
const enabled = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';

const paint = (code: number) => (text: string) => (enabled ? `\u001b[${code}m${text}\u001b[0m` : text);

export const style = {
  ok: paint(32),
  bad: paint(31),
  warn: paint(33),
  dim: paint(2),
  bold: paint(1),
};

/** Whether stdout is a terminal that shows colours: progress lines are printed only then. */
export const colours = enabled;

/** Whether the command may ask questions: stdin and stdout are terminals (not CI, not a pipe). */
export const interactive = () => Boolean(process.stdin.isTTY && process.stdout.isTTY) && !process.env.CI;
