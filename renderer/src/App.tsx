export function App() {
  return (
    <main className="app">
      <header className="app-header">
        <h1>Slipstream</h1>
        <p className="tagline">
          Share huge files through Matrix rooms, end-to-end encrypted, streamed while they upload.
        </p>
      </header>
      <section className="drop-zone" aria-labelledby="drop-zone-title">
        <h2 id="drop-zone-title">Drop a file to share</h2>
        <p>Any size. Recipients can start watching or downloading while it is still uploading.</p>
      </section>
    </main>
  );
}
