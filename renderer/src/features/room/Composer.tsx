import { type ClipboardEvent, type FormEvent, type KeyboardEvent, useState } from 'react';
import { messageOf } from '../../text/error-message';
import { useMatrix } from '../matrix/use-matrix';
import { sendText } from '../matrix/room-actions';
import { useSending } from '../sending/use-sending';

/**
 * Writing in a room: Enter sends, Shift+Enter starts a new line. Files pasted here are sent to the
 * room like dropped ones; "Send files…" opens the chooser.
 */
export function Composer({ roomId, roomName }: { readonly roomId: string; readonly roomName: string }) {
  const client = useMatrix((state) => state.client);
  const chooseAndSend = useSending((state) => state.chooseAndSend);
  const sendDropped = useSending((state) => state.sendDropped);
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    const body = text.trim();
    if (!client || !body) return;
    setText('');
    setProblem(null);
    try {
      await sendText(client, roomId, body);
    } catch (error) {
      setText(body);
      setProblem(`Your message was not sent: ${messageOf(error)}`);
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void submit();
    }
  };

  const onPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    const files = Array.from(event.clipboardData.files);
    if (files.length === 0) return;
    event.preventDefault();
    sendDropped(
      files.map((file) => ({ file, isFolder: false })),
      roomId,
    );
  };

  return (
    <form className="composer" onSubmit={(event) => void submit(event)}>
      {problem && (
        <p className="field-problem" role="alert">
          {problem}
        </p>
      )}
      <div className="composer-row">
        <button type="button" className="primary" onClick={() => void chooseAndSend(roomId)}>
          Send files…
        </button>
        <textarea
          rows={1}
          aria-label={`Message ${roomName}`}
          placeholder={`Message ${roomName}`}
          value={text}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
        />
        <button type="submit" disabled={!text.trim()}>
          Send
        </button>
      </div>
    </form>
  );
}
