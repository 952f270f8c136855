package io.pikemix.etl;

import io.pikemix.etl.tokenizer.TokenSink;
import java.util.function.Consumer;

/**
 * Packs documents into rows of exactly {@code rowLength = context + 1} tokens with no padding (paper,
 * Appendix D.6): each document's tokens, then one EOS, appended to one running stream that is cut every
 * {@code rowLength} tokens. A row's first {@code context} tokens are inputs and its last {@code context}
 * tokens the next-token targets. Tokens after the last full row are the tail ({@link #tail()}), not written.
 *
 * <p>A tokenizer writes a document's ids straight in ({@link TokenSink}), then {@link #endDocument} appends
 * the EOS; {@link #add} does both for an id array.
 *
 * <p>Invariant: {@code tokensIn() == rows() * rowLength + tail()}. The row array passed to the consumer is
 * reused for the next row: a consumer that keeps rows copies them.
 */
final class Packer implements TokenSink {
    private final int rowLength;
    private final int eos;
    private final Consumer<int[]> rows;
    private final int[] row;
    private int fill;
    private long documents, tokensIn, rowCount;

    Packer(int rowLength, int eos, Consumer<int[]> rows) {
        this.rowLength = rowLength;
        this.eos = eos;
        this.rows = rows;
        this.row = new int[rowLength];
    }

    void add(int[] docTokens) {
        tokens(docTokens);
        endDocument();
    }

    @Override
    public void token(int id) {
        tokensIn++;
        row[fill++] = id;
        if (fill == rowLength) flush();
    }

    @Override
    public void tokens(int[] ids) {
        tokensIn += ids.length;
        int pos = 0;
        while (pos < ids.length) {
            int n = Math.min(rowLength - fill, ids.length - pos);
            System.arraycopy(ids, pos, row, fill, n);
            fill += n;
            pos += n;
            if (fill == rowLength) flush();
        }
    }

    /** Ends the current document: one EOS. */
    void endDocument() {
        documents++;
        token(eos);
    }

    private void flush() {
        rows.accept(row);
        rowCount++;
        fill = 0;
    }

    long documents() {
        return documents;
    }

    long tokensIn() {
        return tokensIn;
    }

    long rows() {
        return rowCount;
    }

    long tail() {
        return fill;
    }
}
