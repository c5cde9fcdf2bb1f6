// The authoring editor: CodeMirror 6 laid over <textarea id="source"> as an enhancement.
//
// Without JavaScript the textarea is the editor. With it, the textarea is hidden but stays the
// form field: every change is copied back into it (and an `input` event is fired on it, so the
// live preview and other scripts that listen to the textarea keep working).
//
// The editor grows with its text (no scroll box of its own: the page scrolls, as with the textarea).
// Keyboard: Tab indents inside the editor. To leave it, press Escape and then Tab (or Shift+Tab);
// Ctrl+M (Shift+Alt+M on macOS) switches Tab between indenting and moving focus.
//
// API for other scripts: window.lmsEditor = {view, insert(text), goToLine(n), focus()}; an
// `authoring:goto-line` event on the textarea ({detail: {line, col}}, cancelable) and any
// `a[data-goto-line]` link move the cursor to that line (the link's href is the no-JS fallback).
import { EditorState } from "@codemirror/state";
import {
  EditorView,
  keymap,
  lineNumbers,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  drawSelection,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { syntaxHighlighting, defaultHighlightStyle, bracketMatching, Language, LanguageSupport } from "@codemirror/language";
import { tags } from "@lezer/highlight";
import { searchKeymap, highlightSelectionMatches } from "@codemirror/search";
import { markdownLanguage } from "@codemirror/lang-markdown";

// The YAML front matter between the first two `---` lines, read as one block (highlighted as
// meta), not as Markdown: otherwise the closing `---` makes a setext heading of it.
const FrontMatter = {
  defineNodes: [{ name: "FrontMatter", block: true, style: tags.meta }],
  parseBlock: [{
    name: "FrontMatter",
    before: "HorizontalRule",
    parse(cx, line) {
      if (cx.lineStart !== 0 || line.text.trimEnd() !== "---") return false;
      const start = cx.lineStart;
      let end = start + line.text.length;
      while (cx.nextLine()) {
        end = cx.lineStart + line.text.length;
        if (line.text.trimEnd() === "---") { cx.nextLine(); break; }
      }
      cx.addElement(cx.elt("FrontMatter", start, end));
      return true;
    },
  }],
};
const courseMarkdown = new Language(
  markdownLanguage.data,
  markdownLanguage.parser.configure([FrontMatter]),
  [],
  "markdown",
);

const theme = EditorView.theme({
  "&": { border: "1px solid currentColor", borderRadius: "4px", fontSize: "1em", background: "#fff", color: "#111" },
  "&.cm-focused": { outline: "3px solid #1a5fb4", outlineOffset: "2px" },
  ".cm-scroller": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", minHeight: "20rem", lineHeight: "1.5" },
  ".cm-content": { caretColor: "#111" },
  ".cm-gutters": { background: "#f2f2f2", color: "#4a4a4a", borderRight: "1px solid #767676" },
  ".cm-activeLineGutter": { background: "#dde9f7", color: "#111" },
  ".cm-activeLine": { background: "#f0f6fd" },
});

function labelIds(textarea) {
  const ids = [];
  for (const label of textarea.labels || []) {
    if (!label.id) label.id = `${textarea.id}-label-${ids.length}`;
    ids.push(label.id);
  }
  return ids.join(" ");
}

// CodeMirror's own texts (the search panel, "Go to line", what it announces to screen readers),
// translated by the page: <textarea data-phrases='{"Find": "Найти", ...}'>.
function phrases(textarea) {
  try {
    return JSON.parse(textarea.dataset.phrases || "{}");
  } catch (error) {
    return {};
  }
}

function enhance(textarea) {
  const content = { role: "textbox", "aria-multiline": "true" };
  const labelledby = labelIds(textarea) || textarea.getAttribute("aria-labelledby");
  if (labelledby) content["aria-labelledby"] = labelledby;
  else if (textarea.getAttribute("aria-label")) content["aria-label"] = textarea.getAttribute("aria-label");
  const describedby = textarea.getAttribute("aria-describedby");
  if (describedby) content["aria-describedby"] = describedby;
  if (textarea.readOnly) content["aria-readonly"] = "true";

  const sync = EditorView.updateListener.of((update) => {
    if (!update.docChanged) return;
    textarea.value = update.state.doc.toString();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  });

  const view = new EditorView({
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        bracketMatching(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        new LanguageSupport(courseMarkdown),
        EditorView.lineWrapping,
        EditorState.readOnly.of(textarea.readOnly),
        EditorState.phrases.of(phrases(textarea)),
        keymap.of([...defaultKeymap, ...historyKeymap, ...searchKeymap, indentWithTab]),
        EditorView.contentAttributes.of(content),
        theme,
        sync,
      ],
    }),
  });
  textarea.insertAdjacentElement("afterend", view.dom);
  textarea.hidden = true;
  // A hidden field cannot show a browser "required" bubble: the server checks it instead.
  textarea.required = false;
  const form = textarea.form;
  if (form) form.addEventListener("submit", () => { textarea.value = view.state.doc.toString(); });

  const api = {
    view,
    focus() { view.focus(); },
    insert(text) {
      const range = view.state.selection.main;
      view.dispatch({ changes: { from: range.from, to: range.to, insert: text }, selection: { anchor: range.from + text.length }, scrollIntoView: true });
      view.focus();
    },
    goToLine(number, column) {
      const doc = view.state.doc;
      const line = doc.line(Math.min(Math.max(1, number | 0), doc.lines));
      const pos = Math.min(line.from + Math.max(0, (column | 0) - 1), line.to);
      view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
      view.focus();
    },
  };
  // The editor page's own script asks for a line this way (and falls back to the textarea when
  // nobody cancels the event).
  textarea.addEventListener("authoring:goto-line", (event) => {
    event.preventDefault();
    api.goToLine(Number(event.detail && event.detail.line), Number(event.detail && event.detail.col));
  });
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-goto-line]");
    if (!link) return;
    event.preventDefault();
    api.goToLine(Number(link.dataset.gotoLine), Number(link.dataset.gotoColumn || 1));
  });
  window.lmsEditor = api;
  document.dispatchEvent(new CustomEvent("lms-editor:ready", { detail: api }));
}

const textarea = document.getElementById("source");
if (textarea && textarea.tagName === "TEXTAREA" && !textarea.dataset.plain) enhance(textarea);
