package io.pikemix.etl.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Byte-level BPE, as GPT-2 and HuggingFace's {@code ByteLevel} + {@code BPE} model define it: the text is
 * split by {@link ByteLevel#split}, each pre-token's UTF-8 bytes start as one symbol each, and the
 * adjacent pair of lowest merge rank is merged (leftmost first) until no pair has a rank.
 *
 * <p>Fast path (the ETL's inner loop, {@link #encodeUtf8}): the split is a hand-written scanner over the UTF-8
 * bytes, each distinct pre-token's ids are cached keyed by those bytes — in a {@link PieceTable} (one 64-byte slot
 * holds a pre-token's bytes and ids, so a hit touches one cache line) or, when they do not fit there, a
 * {@link PieceCache} — one pair per concurrent caller, reused across threads, and the merge loop works on int arrays with a primitive
 * pair → (rank, new id) table. {@link #encode} is thread-safe.
 *
 * <p>{@code <|endoftext|>} and any other special token is only produced by the caller (the packer
 * appends {@link #eosId}); {@code encode} treats special-token text as ordinary text.
 */
public final class BpeTokenizer implements Tokenizer {
    /** The end-of-sequence token's text, as in GPT-2. */
    public static final String EOS = "<|endoftext|>";

    private static final long NO_MERGE = Long.MAX_VALUE;
    private static final int HEAP_ABOVE = 64; // longer pre-tokens merge with a heap, not a scan
    /** Per concurrent caller: pre-tokens whose bytes and ids fit in one 64-byte slot ({@link PieceTable}). */
    static final int TABLE_SLOTS = 1 << 16;
    /** Per concurrent caller: the others (long pre-tokens, or many ids), in a {@link PieceCache}. */
    private static final int OVERFLOW_SLOTS = 1 << 16;

    private final byte[][] tokenBytes; // id → bytes (special tokens: their UTF-8 text)
    private final int[] byteToId; // byte → id of its one-byte token
    private final int[][] merges; // by rank: {left id, right id, merged id}
    private final LongLongMap mergeTable; // pair(left, right) → rank << 32 | merged id
    private final Map<Integer, String> specials; // id → text, e.g. eosId → "<|endoftext|>"
    private final int eosId;
    /** Warm caches not in use: an encode call takes one and gives it back, so a warm cache outlives a Spark task's thread. */
    private final java.util.concurrent.ConcurrentLinkedDeque<Caches> caches =
            new java.util.concurrent.ConcurrentLinkedDeque<>();

    private volatile String contentHash;

    /**
     * @param tokenBytes the bytes of every id (special tokens: their UTF-8 text)
     * @param byteToId   the id of each single byte's token
     * @param merges     merges in rank order, each {left id, right id, merged id}
     * @param specials   special tokens, id → text; must contain {@code eosId}
     */
    BpeTokenizer(byte[][] tokenBytes, int[] byteToId, int[][] merges, Map<Integer, String> specials, int eosId) {
        if (byteToId.length != 256)
            throw new IllegalArgumentException("byteToId has " + byteToId.length + " entries, expected 256");
        if (!EOS.equals(specials.get(eosId)))
            throw new IllegalArgumentException(
                    "eosId " + eosId + " is not the special token " + EOS + " (specials " + specials + ")");
        this.tokenBytes = tokenBytes;
        this.byteToId = byteToId.clone();
        this.merges = merges;
        this.specials = Collections.unmodifiableMap(new LinkedHashMap<>(specials));
        this.eosId = eosId;
        this.mergeTable = new LongLongMap(merges.length);
        for (int rank = 0; rank < merges.length; rank++) {
            int[] m = merges[rank];
            long key = LongLongMap.pair(m[0], m[1]);
            if (mergeTable.get(key, NO_MERGE) == NO_MERGE) mergeTable.put(key, ((long) rank << 32) | m[2]);
        }
    }

    @Override
    public String name() {
        return "bpe-" + vocabSize();
    }

    @Override
    public String contentHash() {
        String h = contentHash;
        if (h == null) contentHash = h = Tokenizers.sha256(HfTokenizerJson.toBytes(this));
        return h;
    }

    @Override
    public int vocabSize() {
        return tokenBytes.length;
    }

    @Override
    public int eosId() {
        return eosId;
    }

    @Override
    public int[] encode(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        var out = new IntBuffer(utf8.length / 3 + 8);
        encodeUtf8(utf8, 0, utf8.length, out);
        return out.toArray();
    }

    /** Splits the bytes into pre-tokens and emits each one's ids: a single ASCII byte directly, others through the cache. */
    @Override
    public void encodeUtf8(byte[] utf8, int offset, int length, TokenSink out) {
        Caches polled = caches.pollFirst();
        Caches pieces = polled != null ? polled : new Caches();
        try {
            encodeUtf8(utf8, offset, length, out, pieces);
        } finally {
            caches.offerFirst(pieces); // most recently used first: the warmest is taken next
        }
    }

    /** One caller's caches: the one-slot-per-pre-token table first, the general cache for what does not fit. */
    private static final class Caches {
        final PieceTable table = new PieceTable(TABLE_SLOTS);
        final PieceCache overflow = new PieceCache(OVERFLOW_SLOTS);
    }

    private void encodeUtf8(byte[] utf8, int offset, int length, TokenSink out, Caches caches) {
        PieceTable table = caches.table;
        ByteLevel.splitUtf8(utf8, offset, offset + length, (s, e) -> {
            int len = e - s;
            if (len == 1 && utf8[s] >= 0) { // single ASCII byte: no merge possible
                out.token(byteToId[utf8[s]]);
                return;
            }
            // the ids of a pre-token are at most its bytes: short ones always fit in the table
            boolean mayFit = PieceTable.fits(len, 1);
            if (mayFit && table.emit(utf8, s, e, out)) return;
            int[] ids = PieceTable.fits(len, len) ? null : caches.overflow.get(utf8, s, e);
            if (ids == null) {
                byte[] piece = Arrays.copyOfRange(utf8, s, e);
                ids = bpe(piece);
                if (PieceTable.fits(len, ids.length)) table.put(utf8, s, e, ids);
                else caches.overflow.put(piece, ids);
            }
            out.tokens(ids);
        });
    }

    @Override
    public String decode(int[] ids) {
        int n = 0;
        for (int id : ids) {
            if (!hasToken(id))
                throw new IllegalArgumentException("token id " + id + " is not a token of " + name()
                        + " (ids are in [0, " + tokenBytes.length + "))");
            n += tokenBytes[id].length;
        }
        byte[] bytes = new byte[n];
        int p = 0;
        for (int id : ids) {
            System.arraycopy(tokenBytes[id], 0, bytes, p, tokenBytes[id].length);
            p += tokenBytes[id].length;
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The bytes of token {@code id} (a copy). */
    public byte[] tokenBytes(int id) {
        return tokenBytes[id].clone();
    }

    /** Whether {@code id} names a token (a loaded tokenizer.json may leave ids unused). */
    public boolean hasToken(int id) {
        return id >= 0 && id < tokenBytes.length && tokenBytes[id] != null;
    }

    int[] byteToId() {
        return byteToId.clone();
    }

    int[][] merges() {
        return merges;
    }

    Map<Integer, String> specials() {
        return specials;
    }

    /** The ids of one pre-token's bytes after all merges. */
    int[] bpe(byte[] bytes) {
        int[] sym = new int[bytes.length];
        for (int i = 0; i < sym.length; i++) sym[i] = byteToId[bytes[i] & 0xFF];
        if (sym.length < 2) return sym;
        return sym.length > HEAP_ABOVE ? mergeWithHeap(sym) : mergeByScan(sym);
    }

    /**
     * Repeatedly merges the pair of lowest rank, leftmost first. {@code pairs[i]} holds the table value
     * (rank << 32 | merged id) of (sym[i], sym[i+1]); only the two pairs next to a merge change.
     */
    int[] mergeByScan(int[] sym) {
        int len = sym.length;
        long[] pairs = new long[len - 1];
        for (int i = 0; i < len - 1; i++) pairs[i] = mergeTable.get(LongLongMap.pair(sym[i], sym[i + 1]), NO_MERGE);
        while (len > 1) {
            int best = -1;
            long bestValue = NO_MERGE;
            for (int i = 0; i < len - 1; i++) {
                if (pairs[i] < bestValue) {
                    bestValue = pairs[i];
                    best = i;
                }
            }
            if (best < 0) break;
            sym[best] = (int) bestValue;
            System.arraycopy(sym, best + 2, sym, best + 1, len - best - 2);
            if (best + 2 < len - 1) System.arraycopy(pairs, best + 2, pairs, best + 1, len - best - 3);
            len--;
            if (best > 0) pairs[best - 1] = mergeTable.get(LongLongMap.pair(sym[best - 1], sym[best]), NO_MERGE);
            if (best < len - 1) pairs[best] = mergeTable.get(LongLongMap.pair(sym[best], sym[best + 1]), NO_MERGE);
        }
        return len == sym.length ? sym : Arrays.copyOf(sym, len);
    }

    /**
     * Same result as {@link #mergeByScan} in O(n log n), for long pre-tokens (runs of spaces or
     * punctuation): a min-heap of (rank, position) over a linked list of symbols, as HuggingFace's
     * {@code Word::merge_all}. Stale heap entries are skipped when popped.
     */
    int[] mergeWithHeap(int[] sym) {
        int n = sym.length;
        int[] prev = new int[n], next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        var heap = new LongHeap(n);
        for (int i = 0; i < n - 1; i++) pushPair(heap, sym, i, i + 1);
        boolean[] dead = new boolean[n];
        int alive = n;
        while (!heap.isEmpty()) {
            long entry = heap.pop();
            int pos = (int) entry;
            int right = next[pos];
            if (dead[pos] || right < 0) continue;
            long value = mergeTable.get(LongLongMap.pair(sym[pos], sym[right]), NO_MERGE);
            if (value == NO_MERGE || (value >>> 32) != (entry >>> 32)) continue; // pair changed since pushed
            sym[pos] = (int) value;
            dead[right] = true;
            alive--;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0) pushPair(heap, sym, prev[pos], pos);
            if (next[pos] >= 0) pushPair(heap, sym, pos, next[pos]);
        }
        int[] out = new int[alive];
        for (int i = 0, k = 0; i >= 0; i = next[i]) out[k++] = sym[i];
        return out;
    }

    private void pushPair(LongHeap heap, int[] sym, int left, int right) {
        long value = mergeTable.get(LongLongMap.pair(sym[left], sym[right]), NO_MERGE);
        if (value != NO_MERGE) heap.push((value >>> 32) << 32 | left);
    }

    /** Binary min-heap of longs. */
    private static final class LongHeap {
        private long[] a;
        private int size;

        LongHeap(int capacity) {
            a = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void push(long v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            int i = size++;
            while (i > 0 && a[(i - 1) >> 1] > v) {
                a[i] = a[(i - 1) >> 1];
                i = (i - 1) >> 1;
            }
            a[i] = v;
        }

        long pop() {
            long top = a[0], last = a[--size];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= size) break;
                if (c + 1 < size && a[c + 1] < a[c]) c++;
                if (a[c] >= last) break;
                a[i] = a[c];
                i = c;
            }
            a[i] = last;
            return top;
        }
    }

    /** Growable int array for one encode call. */
    private static final class IntBuffer implements TokenSink {
        private int[] a;
        private int size;

        IntBuffer(int capacity) {
            a = new int[Math.max(8, capacity)];
        }

        @Override
        public void token(int v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            a[size++] = v;
        }

        @Override
        public void tokens(int[] vs) {
            if (size + vs.length > a.length) a = Arrays.copyOf(a, Math.max(a.length * 2, size + vs.length));
            System.arraycopy(vs, 0, a, size, vs.length);
            size += vs.length;
        }

        int[] toArray() {
            return Arrays.copyOf(a, size);
        }
    }
}
