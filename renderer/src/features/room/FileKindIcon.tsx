/** What kind of file, drawn (not an emoji: not every system has an emoji font). Decorative: the card names the file. */
export function FileKindIcon({ mimetype }: { readonly mimetype: string | undefined }) {
  const kind = mimetype?.split('/')[0];
  return (
    <svg className="file-icon" viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false">
      <path d="M6 2h8l5 5v15H6z" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinejoin="round" />
      <path d="M14 2v5h5" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinejoin="round" />
      {kind === 'video' && <path d="M10 11v6l5-3z" fill="currentColor" />}
      {kind === 'audio' && (
        <path
          d="M11 17.5a1.5 1.5 0 1 1-1.5-1.5H11v-6l4-1v5.5a1.5 1.5 0 1 1-1.5-1.5H15"
          fill="none"
          stroke="currentColor"
          strokeWidth="1.3"
        />
      )}
      {kind === 'image' && (
        <>
          <circle cx="10" cy="11" r="1.5" fill="currentColor" />
          <path d="M8 18l3-3 2 2 2-3 2 4z" fill="currentColor" />
        </>
      )}
      {kind !== 'video' && kind !== 'audio' && kind !== 'image' && (
        <path d="M9 12h7M9 15h7M9 18h5" stroke="currentColor" strokeWidth="1.3" />
      )}
    </svg>
  );
}
