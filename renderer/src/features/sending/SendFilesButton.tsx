import { useSending } from './use-sending';

/** Not disabled while the chooser is open: the modal makes it inert, and focus must be able to return to it. */
export function SendFilesButton() {
  const chooseAndSend = useSending((state) => state.chooseAndSend);
  return (
    <button type="button" className="primary" onClick={() => void chooseAndSend()}>
      Send files…
    </button>
  );
}
