// Every document the repository cites exists: relative Markdown links reach a file (and a heading when an anchor
// is given), `docs/…` references in code and CLI help reach a file and the rule or § they name, and no file cites
// a document name the repository does not have. Failures list file:line for each bad reference.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  RETIRED_DOCUMENT_NAMES,
  anchorsOf,
  checkRepository,
  docsReferences,
  documentNameMentions,
  formatProblems,
  githubSlug,
  markdownLinks,
  ruleNumbers,
  sectionNumbers,
  sharedFolderMentions,
} from './references.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Tracked files plus new ones not yet committed (ignored files such as node_modules, dist and docs/api excluded).
const FILES = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((file) => file !== '');
const result = checkRepository(ROOT, FILES);

// Built at run time so this file holds no references of its own for the repository check to find.
const DOCS = 'docs';
const UP = '..';

describe('the checker', () => {
  it('slugs headings the way GitHub anchors them', () => {
    expect(githubSlug('§4 Vanilla flow')).toBe('4-vanilla-flow');
    expect(githubSlug('Rule 5: the binding')).toBe('rule-5-the-binding');
    expect(githubSlug('The `cnf` claim, **bold** and [a link](x.md)')).toBe('the-cnf-claim-bold-and-a-link');
    expect(githubSlug('FIC two-leg flow (Leg 1 → Leg 2)')).toBe('fic-two-leg-flow-leg-1--leg-2');
    expect(githubSlug('snake_case stays')).toBe('snake_case-stays');
    const anchors = anchorsOf('# Title\n## Notes\n```md\n## Not a heading\n```\n## Notes\n<a id="custom"></a>\n');
    expect([...anchors].sort()).toEqual(['custom', 'notes', 'notes-1', 'title']);
  });

  it('finds links outside code only', () => {
    const markdown = 'See [a](one.md#x) and ![b](img.svg "t").\n`[c](code.md)`\n```\n[d](fenced.md)\n```\n[ref]: <two.md>\n';
    expect(markdownLinks(markdown)).toEqual([
      { line: 1, target: 'one.md#x' },
      { line: 1, target: 'img.svg' },
      { line: 6, target: 'two.md' },
    ]);
  });

  it('reads the rules and sections a docs reference names', () => {
    const text = `// @see ${DOCS}/security.md rules 1–6 and 8–10; ${DOCS}/protocol.md §4–6\n// ${DOCS}/x.md#some-heading, x/${DOCS}/not.md`;
    expect(docsReferences(text)).toEqual([
      { line: 1, path: `${DOCS}/security.md`, anchor: null, rules: [1, 2, 3, 4, 5, 6, 8, 9, 10], sections: [] },
      { line: 1, path: `${DOCS}/protocol.md`, anchor: null, rules: [], sections: [4, 5, 6] },
      { line: 2, path: `${DOCS}/x.md`, anchor: 'some-heading', rules: [], sections: [] },
    ]);
    expect(docsReferences(`${DOCS}/security.md rule 7, RFC 8705 §3`)[0]?.rules).toEqual([7]);
    expect(docsReferences(`${DOCS}/api/index.html`)).toEqual([]);
    expect(ruleNumbers('## Rule 1: a\n## Rule 12: b\n## Rules in general')).toEqual(new Set([1, 12]));
    expect(sectionNumbers('## §1 One\n## §7 Seven\n## Appendix')).toEqual(new Set([1, 7]));
  });

  it('spots retired document names and climbs out of the repository', () => {
    const [first] = RETIRED_DOCUMENT_NAMES;
    expect(documentNameMentions(`see packages/core/${first} and ${first}, not x${first}`)).toEqual([
      { line: 1, reference: `packages/core/${first}` },
      { line: 1, reference: first },
    ]);
    expect(sharedFolderMentions(`a\n${UP}/${UP}/shared/notes and ${UP}/shared-things`)).toEqual([{ line: 2, reference: `${UP}/${UP}/shared/notes` }]);
  });
});

describe('the repository', () => {
  it('scans the tracked Markdown and code', () => {
    expect(FILES.filter((file) => file.endsWith('.md')).length).toBeGreaterThan(10);
    expect(FILES).toContain('docs/security.md');
  });

  it('every relative Markdown link resolves to a file, and to a heading when it names one', () => {
    expect(formatProblems(result.links)).toBe('');
  });

  it('every docs/… reference in code, CLI help and prose resolves, with the rule or § it names', () => {
    expect(formatProblems(result.docs)).toBe('');
  });

  it('no file cites a document the repository does not have, or a folder outside it', () => {
    expect(formatProblems(result.names)).toBe('');
  });
});
