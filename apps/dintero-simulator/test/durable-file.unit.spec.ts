import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { removePartialWrites, writeFileDurably } from '../src/state/durable-file';

describe('writeFileDurably', () => {
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'sim-durable-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  afterEach(() => jest.restoreAllMocks());

  // The order of the calls is the guarantee: a crash of the machine keeps a rename it flushed, so the data the
  // rename points at must be on the disk first, and the rename only counts once its directory is flushed.
  it('flushes the text to the disk before the rename, and the directory after it', () => {
    const file = path.join(dir, 'state.json');
    fs.writeFileSync(file, '{"old":true}');
    const calls: string[] = [];
    const paths = new Map<number, string>();
    const open = fs.openSync;
    jest.spyOn(fs, 'openSync').mockImplementation((where, ...rest) => {
      const fd = open(where, ...rest);
      paths.set(fd, String(where));
      calls.push(`open ${path.basename(String(where))}`);
      return fd;
    });
    const fsync = fs.fsyncSync;
    jest.spyOn(fs, 'fsyncSync').mockImplementation((fd) => {
      calls.push(`fsync ${path.basename(paths.get(fd) ?? '?')}`);
      fsync(fd);
    });
    const rename = fs.renameSync;
    jest.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
      calls.push(`rename ${path.basename(String(from))} ${path.basename(String(to))}`);
      rename(from, to);
    });

    writeFileDurably(file, '{"new":true}');

    const partial = `state.json.${process.pid}.tmp`;
    expect(calls).toEqual([
      `open ${partial}`,
      `fsync ${partial}`,
      `rename ${partial} state.json`,
      `open ${path.basename(dir)}`,
      `fsync ${path.basename(dir)}`,
    ]);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"new":true}');
    expect(fs.readdirSync(dir)).toEqual(['state.json']);
  });

  // A write may take less than it is given (a signal, a pipe, a network file system): each call here writes at most
  // 4 KiB, as such a file would, and the whole text must still arrive.
  it('writes the whole of a text that takes several writes', () => {
    const file = path.join(dir, 'large.json');
    const text = JSON.stringify({ list: Array.from({ length: 20_000 }, (_, i) => `ø-${i}`) });
    const write = fs.writeSync;
    const short = jest
      .spyOn(fs, 'writeSync')
      .mockImplementation(((fd: number, buffer: NodeJS.ArrayBufferView, offset?: number, length?: number) =>
        write(fd, buffer, offset, Math.min(length ?? buffer.byteLength, 4_096))) as typeof fs.writeSync);
    writeFileDurably(file, text);
    expect(short.mock.calls.length).toBeGreaterThan(1);
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
  });

  it('removes the partial writes a kill left beside the file, and nothing else', () => {
    const file = path.join(dir, 'kept.json');
    for (const name of ['kept.json', 'kept.json.123.tmp', 'kept.json.4567.tmp', 'kept.json.x.tmp', 'keptXjson.1.tmp'])
      fs.writeFileSync(path.join(dir, name), '{');
    expect(removePartialWrites(file).sort()).toEqual(['kept.json.123.tmp', 'kept.json.4567.tmp']);
    expect(fs.readdirSync(dir).filter((name) => name.startsWith('kept'))).toEqual([
      'kept.json',
      'kept.json.x.tmp',
      'keptXjson.1.tmp',
    ]);
    expect(removePartialWrites(path.join(dir, 'no-such-folder', 'state.json'))).toEqual([]);
  });
});
