/** README snippets are code: tests read them out of the Markdown and run them. */
import { readFileSync } from 'node:fs';

/**
 * The first fenced code block after the heading `heading` (e.g. "## Example") of a Markdown file, without its
 * fences. Throws when the heading or the block is missing, so a reshuffled README fails its test.
 */
export function readmeSnippet(readmePath: string, heading: string): string {
  const markdown = readFileSync(readmePath, 'utf8');
  const at = markdown.split('\n').findIndex((line) => line.trim() === heading);
  if (at < 0) throw new Error(`${readmePath} has no "${heading}" heading`);
  const rest = markdown.split('\n').slice(at + 1);
  const open = rest.findIndex((line) => line.startsWith('```'));
  if (open < 0) throw new Error(`${readmePath} has no code block after "${heading}"`);
  const close = rest.findIndex((line, index) => index > open && line.startsWith('```'));
  if (close < 0) throw new Error(`${readmePath}: unterminated code block after "${heading}"`);
  return rest.slice(open + 1, close).join('\n') + '\n';
}
