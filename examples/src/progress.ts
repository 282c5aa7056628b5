import { SingleBar } from "cli-progress";
import type { EpochMetrics } from "./metrics";
import type { TrainingObserver } from "./training";
import { formatDuration, formatLoss, formatPercent } from "./format";

/**
 * A progress bar per epoch when stdout is a terminal; one plain line per epoch otherwise (a log
 * file or a pipe would fill with redraw sequences).
 */
export function progressFor(epochs: number, stream: NodeJS.WriteStream = process.stdout): TrainingObserver {
  return stream.isTTY ? new EpochBars(epochs, stream) : new EpochLines(epochs, stream);
}

/** Tracks elapsed time to estimate how long the whole run still needs. */
class RunClock {
  private readonly started = performance.now();
  private epochStarted = this.started;

  constructor(private readonly epochs: number) {}

  startEpoch(): void {
    this.epochStarted = performance.now();
  }

  epochSeconds(): number {
    return (performance.now() - this.epochStarted) / 1000;
  }

  /** Seconds left for the run, from the time spent so far over the share of batches done. */
  remainingSeconds(epoch: number, batch: number, batches: number): number {
    const done = (epoch - 1 + batch / batches) / this.epochs;
    const elapsed = (performance.now() - this.started) / 1000;
    return done > 0 ? (elapsed * (1 - done)) / done : Number.NaN;
  }
}

function epochLabel(epoch: number, epochs: number): string {
  return `epoch ${String(epoch).padStart(String(epochs).length)}/${epochs}`;
}

function testSummary(metrics: EpochMetrics): string {
  return `test loss ${formatLoss(metrics.testLoss)} acc ${formatPercent(metrics.testAccuracy)}`;
}

class EpochBars implements TrainingObserver {
  private readonly clock: RunClock;
  private bar: SingleBar | undefined;
  private epoch = 0;
  private batches = 0;

  constructor(
    private readonly epochs: number,
    private readonly stream: NodeJS.WriteStream,
  ) {
    this.clock = new RunClock(epochs);
  }

  epochStarted(epoch: number, batches: number): void {
    this.clock.startEpoch();
    this.batches = batches;
    this.bar = new SingleBar({
      format: "{epoch} {bar} {value}/{total} | loss {loss} | acc {acc} | {status}",
      barCompleteChar: "█",
      barIncompleteChar: "░",
      barsize: 24,
      hideCursor: true,
      stream: this.stream,
      // Each finished epoch stays on screen with its test numbers; the next bar starts below.
      clearOnComplete: false,
    });
    this.bar.start(batches, 0, { epoch: epochLabel(epoch, this.epochs), loss: "-", acc: "-", status: "" });
    this.epoch = epoch;
  }

  batchFinished(batch: number, runningLoss: number, runningAccuracy: number): void {
    const remaining = this.clock.remainingSeconds(this.epoch, batch, this.batches);
    this.bar?.update(batch, {
      loss: formatLoss(runningLoss),
      acc: formatPercent(runningAccuracy),
      status: `ETA ${formatDuration(remaining)}`,
    });
  }

  epochFinished(metrics: EpochMetrics): void {
    this.bar?.update(this.batches, {
      loss: formatLoss(metrics.trainLoss),
      acc: formatPercent(metrics.trainAccuracy),
      status: `${testSummary(metrics)} | ${formatDuration(this.clock.epochSeconds())}`,
    });
    this.bar?.stop();
  }
}

class EpochLines implements TrainingObserver {
  private readonly clock: RunClock;

  constructor(
    private readonly epochs: number,
    private readonly stream: NodeJS.WritableStream,
  ) {
    this.clock = new RunClock(epochs);
  }

  epochStarted(): void {
    this.clock.startEpoch();
  }

  batchFinished(): void {}

  epochFinished(metrics: EpochMetrics): void {
    const train = `train loss ${formatLoss(metrics.trainLoss)} acc ${formatPercent(metrics.trainAccuracy)}`;
    const seconds = formatDuration(this.clock.epochSeconds());
    this.stream.write(`${epochLabel(metrics.epoch, this.epochs)} | ${train} | ${testSummary(metrics)} | ${seconds}\n`);
  }
}
