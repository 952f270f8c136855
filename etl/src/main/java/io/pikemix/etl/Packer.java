package io.pikemix.etl;

import java.util.function.Consumer;

/**
 * Packs documents into rows of exactly {@code rowLength = context + 1} tokens with no padding (paper,
 * Appendix D.6): each document's tokens, then one EOS, appended to one running stream that is cut every
 * {@code rowLength} tokens. A row's first {@code context} tokens are inputs and its last {@code context}
 * tokens the next-token targets. Tokens after the last full row are the tail ({@link #tail()}), not written.
 *
 * <p>Invariant: {@code tokensIn() == rows() * rowLength + tail()}.
 */
final class Packer {
    private final int rowLength;
    private final int eos;
    private final Consumer<int[]> rows;
    private int[] row;
    private int fill;
    private long documents, tokensIn, rowCount;

    Packer(int rowLength, int eos, Consumer<int[]> rows) {
        this.rowLength = rowLength;
        this.eos = eos;
        this.rows = rows;
        this.row = new int[rowLength];
    }

    void add(int[] docTokens) {
        documents++;
        tokensIn += docTokens.length + 1L;
        int pos = 0;
        while (pos < docTokens.length) {
            int n = Math.min(rowLength - fill, docTokens.length - pos);
            System.arraycopy(docTokens, pos, row, fill, n);
            fill += n;
            pos += n;
            if (fill == rowLength) flush();
        }
        row[fill++] = eos;
        if (fill == rowLength) flush();
    }

    private void flush() {
        rows.accept(row);
        rowCount++;
        row = new int[rowLength];
        fill = 0;
    }

    long documents() { return documents; }
    long tokensIn() { return tokensIn; }
    long rows() { return rowCount; }
    long tail() { return fill; }
}
