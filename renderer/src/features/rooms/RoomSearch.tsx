/** The search over rooms, in the room list and in the room picker. */
export function RoomSearch({
  query,
  onChange,
}: {
  readonly query: string;
  readonly onChange: (query: string) => void;
}) {
  return (
    <input
      type="search"
      className="room-search"
      aria-label="Search rooms"
      placeholder="Search rooms"
      value={query}
      onChange={(event) => onChange(event.target.value)}
    />
  );
}
