'use client';

import ReactMarkdown, { type Components } from 'react-markdown';

interface HastNode {
  type: string;
  value?: string;
  children?: HastNode[];
}

/** The text of a markdown node and everything under it (a code block's source). */
function textOf(node: HastNode | undefined): string {
  if (!node) return '';
  if (node.type === 'text') return node.value ?? '';
  return (node.children ?? []).map(textOf).join('');
}

interface StepMarkdownProps {
  markdown: string;
  /** Types a code block's text into the serial console; undefined while the machine is not ready. */
  onRun: ((command: string) => void) | undefined;
}

/**
 * A step's text. react-markdown builds React elements from the markdown's syntax tree and never
 * renders raw HTML (`skipHtml`: an instructor's `<script>` or `<img onerror>` is dropped, not
 * shown as markup or run), and its default URL filter drops `javascript:` links. Code blocks get
 * a "Run in the machine" button that types them into the student's terminal, where the student
 * sees them run.
 */
export function StepMarkdown({ markdown, onRun }: StepMarkdownProps) {
  const components: Components = {
    pre: ({ node, children }) => {
      const command = textOf(node as HastNode | undefined).replace(/\n+$/, '');
      return (
        <div className="step-code">
          <pre>{children}</pre>
          <button type="button" disabled={!onRun} onClick={() => onRun?.(`${command}\n`)} title="Types this into the serial console">
            Run in the machine
          </button>
        </div>
      );
    },
    a: ({ href, children }) => (
      <a href={href} target="_blank" rel="noreferrer noopener">
        {children}
      </a>
    ),
  };
  return (
    <div className="step-text">
      <ReactMarkdown skipHtml components={components}>
        {markdown}
      </ReactMarkdown>
    </div>
  );
}
