/** Drawn, not a glyph: the fonts of every system cannot be counted on to have an arrow like ⇶. */
function BrandMark() {
  return (
    <svg className="brand-mark" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">
      <g fill="none" stroke="currentColor" strokeWidth="2.25" strokeLinecap="round" strokeLinejoin="round">
        <path d="M3 7h9M6 12h14M3 17h9" />
        <path d="M15 6l6 6-6 6" />
      </g>
    </svg>
  );
}

/** The app's name as the page's one top-level heading, with its mark. */
export function Brand() {
  return (
    <div className="brand">
      <BrandMark />
      <h1>Slipstream</h1>
    </div>
  );
}
