import { Injectable } from '@nestjs/common';

/**
 * Seeded randomness (mulberry32) for chaos and ids, so that a run with the same seed and the same
 * requests behaves the same. A simulator concern only: the engine itself never draws random numbers
 * in its logic.
 */
@Injectable()
export class SimulatorRandom {
  private state: number;

  constructor(seed = 1) {
    this.state = seed >>> 0;
  }

  reseed(seed: number): void {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  chance(probability: number): boolean {
    return probability > 0 && this.next() < probability;
  }

  between(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Dintero-like ids: `<account>.<22 base62 characters>`. */
  id(accountId: string): string {
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    let suffix = '';
    for (let i = 0; i < 22; i++) suffix += alphabet[Math.floor(this.next() * alphabet.length)];
    return `${accountId}.${suffix}`;
  }
}
