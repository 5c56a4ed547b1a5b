/**
 * The benchmark's side of its children (bench/host-child-kit.ts has theirs): start one from the bundle
 * with the engine host's V8 options, exchange JSON lines with it, open and close its measuring windows.
 * What a child writes to standard error goes to .cache/bench/host/<name>-<pid>.log; the last of it is
 * quoted if the child dies.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { BenchMessage } from './host-child-kit.js';
import type { LoopDelayFigures } from './loop-delay.js';

export interface BenchChildOptions {
  /** Node's options: the engine host's V8 options, and any the run adds (`--cpu-prof`, say). */
  readonly nodeArgs: readonly string[];
  readonly env?: Record<string, string>;
  /** Where its standard error is kept. */
  readonly logDir: string;
}

export class BenchChild {
  readonly process: ChildProcess;
  private readonly messages: BenchMessage[] = [];
  private readonly waiters: {
    type: string;
    resolve: (message: BenchMessage) => void;
    reject: (error: Error) => void;
  }[] = [];
  private readonly listeners = new Set<(message: BenchMessage) => void>();
  private stderrTail = '';
  private exit: string | undefined;
  readonly exited: Promise<number | null>;

  /**
   * Forks `script` (always with an IPC channel: the engine host speaks the contract over it; the other
   * children leave it unused) with `args`.
   */
  constructor(
    readonly name: string,
    script: string,
    args: readonly string[],
    options: BenchChildOptions,
  ) {
    this.process = fork(script, [...args], {
      execArgv: [...options.nodeArgs],
      env: { ...process.env, ...options.env },
      serialization: 'advanced',
      stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
    });
    const logPath = join(options.logDir, `${name}-${this.process.pid}.log`);
    this.process.stderr!.on('data', (chunk: Buffer) => {
      appendFileSync(logPath, chunk);
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-4000);
    });
    createInterface({ input: this.process.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return void appendFileSync(logPath, `${line}\n`);
      const message = JSON.parse(line) as BenchMessage;
      for (const listener of this.listeners) listener(message);
      const waiter = this.waiters.find((candidate) => candidate.type === message.type);
      if (waiter) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      } else if (this.listeners.size === 0 || message.type !== 'event') this.messages.push(message);
    });
    this.exited = new Promise((resolve) =>
      this.process.on('close', (code) => {
        this.exit = `exited ${code}: ${this.stderrTail}`;
        for (const waiter of this.waiters.splice(0)) waiter.reject(new Error(`${this.name} ${this.exit}`));
        resolve(code);
      }),
    );
  }

  /** The next message of `type` (one that came earlier and was not taken yet counts). */
  next(type: string): Promise<BenchMessage> {
    const index = this.messages.findIndex((message) => message.type === type);
    if (index >= 0) return Promise.resolve(this.messages.splice(index, 1)[0]!);
    if (this.exit !== undefined) return Promise.reject(new Error(`${this.name}: no ${type}, it ${this.exit}`));
    return new Promise((resolve, reject) => this.waiters.push({ type, resolve, reject }));
  }

  /** Hears every message as it comes (pushed events, say); those of type 'event' are then not kept. */
  onMessage(listener: (message: BenchMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  send(command: BenchMessage): void {
    this.process.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  async startWindow(): Promise<void> {
    this.send({ type: 'window-start' });
    await this.next('window-started');
  }

  async stopWindow(): Promise<LoopDelayFigures> {
    this.send({ type: 'window-stop' });
    return (await this.next('loop-delay'))['figures'] as LoopDelayFigures;
  }

  /** No more commands: the child finishes what it does and exits. */
  async end(): Promise<void> {
    this.process.stdin!.end();
    await this.exited;
  }
}
