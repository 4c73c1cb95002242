/**
 * Finds every reference the repository makes to its own documents and says which ones point nowhere: relative
 * Markdown links (file and heading), `docs/…` paths in code (file, rule number, § section), document names that
 * do not exist, and paths leading out of the repository. Pure functions over text plus one checker over a tree.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** One bad reference, located so it can be fixed without searching. */
export interface Problem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n');
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Blank out fenced code blocks (``` or ~~~), keeping line numbers, so their contents are not read as Markdown. */
export function withoutFences(markdown: string): string {
  let fence: string | null = null;
  return markdown
    .split('\n')
    .map((line) => {
      const opener = /^ {0,3}(`{3,}|~{3,})/.exec(line);
      if (fence === null) {
        if (opener !== null) fence = opener[1]!;
        return opener === null ? line : '';
      }
      if (opener !== null && opener[1]![0] === fence[0] && opener[1]!.length >= fence.length && line.trim() === opener[1]) fence = null;
      return '';
    })
    .join('\n');
}

/** Blank out inline code spans (same length), so code that looks like a link is not taken for one. */
function withoutCodeSpans(text: string): string {
  return text.replace(/(`+)[^`]*?\1/g, (span) => ' '.repeat(span.length));
}

/**
 * The anchor GitHub gives a heading: the rendered text lower-cased, punctuation and symbols dropped (letters,
 * marks, digits, `_`, `-` and spaces stay), spaces turned into `-`.
 */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link renders as its text
    .replace(/<[^>]+>/g, '') // inline HTML renders as nothing here
    .replace(/[*`]/g, '') // emphasis and code markers are not text
    .replace(/(^|\s)_+|_+(\s|$)/g, '$1$2'); // nor are underscores that delimit emphasis
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

interface Heading {
  readonly text: string;
  readonly anchor: string;
}

/** The ATX headings of a Markdown document with their anchors (repeats get -1, -2, … as on GitHub). */
export function headings(markdown: string): Heading[] {
  const seen = new Map<string, number>();
  const result: Heading[] = [];
  for (const line of withoutFences(markdown).split('\n')) {
    const match = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (match === null) continue;
    const text = match[1]!;
    const base = githubSlug(text);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.push({ text, anchor: count === 0 ? base : `${base}-${count}` });
  }
  return result;
}

/** Every anchor a link may name in a document: heading anchors and explicit `<a id>` / `<a name>` targets. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set(headings(markdown).map((h) => h.anchor));
  for (const match of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!);
  return anchors;
}

/** Rule numbers a document defines, as headings "Rule N…". */
export function ruleNumbers(markdown: string): Set<number> {
  return numbered(markdown, /^Rule (\d+)\b/);
}

/** Section numbers a document defines, as headings "§N …". */
export function sectionNumbers(markdown: string): Set<number> {
  return numbered(markdown, /^§(\d+)\b/);
}

function numbered(markdown: string, pattern: RegExp): Set<number> {
  const numbers = new Set<number>();
  for (const { text } of headings(markdown)) {
    const match = pattern.exec(text);
    if (match !== null) numbers.add(Number(match[1]));
  }
  return numbers;
}

export interface MarkdownLink {
  readonly line: number;
  readonly target: string;
}

/** Inline links and images `[text](target)` and reference definitions `[id]: target`, outside code. */
export function markdownLinks(markdown: string): MarkdownLink[] {
  const text = withoutCodeSpans(withoutFences(markdown));
  const links: MarkdownLink[] = [];
  for (const match of text.matchAll(/\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+"[^"]*")?\s*\)/g)) {
    links.push({ line: lineAt(text, match.index), target: match[1]!.replace(/^<|>$/g, '') });
  }
  for (const match of text.matchAll(/^ {0,3}\[[^\]]+\]:\s*(\S+)/gm)) {
    links.push({ line: lineAt(text, match.index), target: match[1]!.replace(/^<|>$/g, '') });
  }
  return links;
}

export interface DocsReference {
  readonly line: number;
  /** The path as written, from the repository root, e.g. `docs/security.md`. */
  readonly path: string;
  readonly anchor: string | null;
  readonly rules: readonly number[];
  readonly sections: readonly number[];
}

/** Numbers listed after a rule word or §: "5", "1–6 and 8–10", "4, 5", "§4–§6". */
function numberList(list: string): number[] {
  const numbers: number[] = [];
  for (const part of list.split(/\s*(?:,|\band\b|\bor\b)\s*/)) {
    const range = /^§?(\d+)(?:\s*[–-]\s*§?(\d+))?$/.exec(part.trim());
    if (range === null) continue;
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    for (let n = from; n <= to && n - from < 100; n++) numbers.push(n);
  }
  return numbers;
}

const NUMBER_LIST = String.raw`§?\d+(?:\s*[–-]\s*§?\d+)?(?:\s*(?:,|\band\b|\bor\b)\s*§?\d+(?:\s*[–-]\s*§?\d+)?)*`;

/**
 * `docs/…` paths written in code or prose (not as part of a longer path), with the rule numbers or § sections
 * named right after them: "docs/security.md rule 5", "docs/security.md rules 1–6 and 8–10", "docs/protocol.md §4".
 * `docs/api/` is generated output and not a reference.
 */
export function docsReferences(text: string): DocsReference[] {
  const references: DocsReference[] = [];
  const pattern = new RegExp(
    String.raw`(?<![\w./-])(docs/[\w./-]*[\w])(?:#([\w-]+))?` +
      String.raw`(?:\s+rules?\s+(${NUMBER_LIST})|\s*(§${NUMBER_LIST}))?`,
    'g',
  );
  for (const match of text.matchAll(pattern)) {
    const path = match[1]!;
    if (path === 'docs/api' || path.startsWith('docs/api/')) continue;
    references.push({
      line: lineAt(text, match.index),
      path,
      anchor: match[2] ?? null,
      rules: match[3] === undefined ? [] : numberList(match[3]),
      sections: match[4] === undefined ? [] : numberList(match[4]),
    });
  }
  return references;
}

/** Document names cited before the repository had docs/: none may be cited unless such a file exists where named. */
export const RETIRED_DOCUMENT_NAMES: readonly string[] = ['SECURITY', 'PROTOCOL', 'CONFIG', 'CONFIGURATION', 'DESIGN', 'PERFORMANCE', 'CONVENTIONS'].map(
  (name) => `${name}.md`,
);

/** Where each retired name's content lives now, for the failure message. */
const REPLACEMENTS: Readonly<Record<string, string>> = {
  SECURITY: 'docs/security.md rule N',
  PROTOCOL: 'docs/protocol.md §N',
  CONFIG: 'docs/configuration.md',
  CONFIGURATION: 'docs/configuration.md',
  DESIGN: 'docs/architecture.md',
  PERFORMANCE: 'benchmarks/README.md "Targets"',
};

export interface NameMention {
  readonly line: number;
  /** The name with the path written before it, as written. */
  readonly reference: string;
}

export function documentNameMentions(text: string): NameMention[] {
  const names = RETIRED_DOCUMENT_NAMES.map((name) => name.replace('.', '\\.')).join('|');
  const mentions: NameMention[] = [];
  for (const match of text.matchAll(new RegExp(String.raw`[\w./-]*?(?<![\w])(?:${names})(?![\w])`, 'g'))) {
    mentions.push({ line: lineAt(text, match.index), reference: match[0] });
  }
  return mentions;
}

/** Relative paths that climb up to a folder named `shared` (the guidance folder beside the repository). */
export function sharedFolderMentions(text: string): NameMention[] {
  const mentions: NameMention[] = [];
  for (const match of text.matchAll(/(?:\.\.\/)+shared(?![\w-])[\w./-]*/g)) mentions.push({ line: lineAt(text, match.index), reference: match[0] });
  return mentions;
}

const CODE_FILE = /\.(?:ts|mts|cts|js|mjs|cjs)$/;
const TEXT_FILE = /\.(?:md|ts|mts|cts|js|mjs|cjs|json|ya?ml|txt|conf|template|sh|svg|html)$|(?:^|\/)(?:Dockerfile|\.gitignore|\.npmrc)$/;

/** The guidance folder beside the repository's checkout (spelt in pieces so this file does not mention it). */
const GUIDANCE_FOLDER = ['', 'work', 'shared'].join('/');

/** Files whose paths are relative to somewhere else than their own folder (pnpm's lockfile: to each importer). */
const GENERATED = new Set(['pnpm-lock.yaml']);

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

/** Check the given repository files (paths relative to `root`, `/`-separated) and return every bad reference. */
export function checkRepository(root: string, files: readonly string[]): { links: Problem[]; docs: Problem[]; names: Problem[] } {
  const links: Problem[] = [];
  const docs: Problem[] = [];
  const names: Problem[] = [];
  const texts = new Map<string, string>();
  const read = (path: string): string => {
    let text = texts.get(path);
    if (text === undefined) {
      text = readFileSync(path, 'utf8');
      texts.set(path, text);
    }
    return text;
  };

  for (const file of files) {
    if (!TEXT_FILE.test(file) || GENERATED.has(file)) continue;
    const absolute = join(root, file);
    if (!isFile(absolute)) continue;
    const text = read(absolute);
    const folder = dirname(absolute);

    if (file.endsWith('.md')) {
      for (const { line, target } of markdownLinks(text)) {
        if (/^[a-z][a-z\d+.-]*:/i.test(target) || target.startsWith('//')) continue;
        const hash = target.indexOf('#');
        const pathPart = decodeURI(hash === -1 ? target : target.slice(0, hash));
        const anchor = hash === -1 ? null : decodeURIComponent(target.slice(hash + 1));
        const resolved = pathPart === '' ? absolute : pathPart.startsWith('/') ? join(root, pathPart) : resolve(folder, pathPart);
        const shown = pathPart === '' ? `#${anchor}` : target;
        if (!isInside(root, resolved)) {
          links.push({ file, line, message: `link "${shown}" leads out of the repository` });
        } else if (!existsSync(resolved)) {
          links.push({ file, line, message: `link "${shown}": no such file` });
        } else if (anchor !== null && anchor !== '' && resolved.endsWith('.md') && isFile(resolved) && !anchorsOf(read(resolved)).has(anchor)) {
          links.push({ file, line, message: `link "${shown}": ${relative(root, resolved)} has no heading with anchor #${anchor}` });
        }
      }
    }

    if (CODE_FILE.test(file) || file.endsWith('.md')) {
      for (const reference of docsReferences(text)) {
        const { line, path } = reference;
        const target = join(root, path);
        if (!existsSync(target)) {
          docs.push({ file, line, message: `"${path}" does not exist` });
          continue;
        }
        if (!isFile(target)) continue;
        const document = read(target);
        if (reference.anchor !== null && !anchorsOf(document).has(reference.anchor)) {
          docs.push({ file, line, message: `"${path}#${reference.anchor}": no such heading` });
        }
        const rules = ruleNumbers(document);
        for (const n of reference.rules) if (!rules.has(n)) docs.push({ file, line, message: `"${path}" has no rule ${n}` });
        const sections = sectionNumbers(document);
        for (const n of reference.sections) if (!sections.has(n)) docs.push({ file, line, message: `"${path}" has no section §${n}` });
      }
    }

    for (const { line, reference } of documentNameMentions(text)) {
      const candidates = [resolve(folder, reference), join(root, reference)];
      if (!candidates.some((candidate) => isInside(root, candidate) && isFile(candidate))) {
        const instead = REPLACEMENTS[reference.slice(reference.lastIndexOf('/') + 1).replace(/\.md$/, '')];
        const hint = instead === undefined ? '' : ` (cite ${instead})`;
        names.push({ file, line, message: `mentions "${reference}", which is not a file in the repository${hint}` });
      }
    }
    for (const { line, reference } of sharedFolderMentions(text)) {
      const resolved = resolve(folder, reference);
      if (!isInside(root, resolved) || !existsSync(resolved)) {
        names.push({ file, line, message: `refers to "${reference}", outside the repository or missing` });
      }
    }
    const outside = text.indexOf(GUIDANCE_FOLDER);
    if (outside !== -1) names.push({ file, line: lineAt(text, outside), message: `refers to ${GUIDANCE_FOLDER}, outside the repository` });
  }
  return { links, docs, names };
}
