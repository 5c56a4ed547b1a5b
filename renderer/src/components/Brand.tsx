/** The app's name as the page's one top-level heading, with its mark. */
export function Brand() {
  return (
    <div className="brand">
      <span className="brand-mark" aria-hidden="true">
        ⇶
      </span>
      <h1>Slipstream</h1>
    </div>
  );
}
