package io.pikemix.etl;

import io.pikemix.etl.tokenizer.TokenSink;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
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
 * <p>A row is handed over as the shard's {@code tokens} value: {@code rowLength} little-endian int32 ids
 * ({@code 4 * rowLength} bytes), written there as the ids arrive — no id array in between, no conversion pass.
 *
 * <p>Invariant: {@code tokensIn() == rows() * rowLength + tail()}. The row array passed to the consumer is
 * reused for the next row: a consumer that keeps rows copies them.
 */
final class Packer implements TokenSink {
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final int rowLength;
    private final int eos;
    private final Consumer<byte[]> rows;
    private final byte[] row;
    private int fill; // ids in the row
    private long documents, tokensIn, rowCount;

    /** @param rows receives each full row: {@code 4 * rowLength} bytes, the ids little-endian */
    Packer(int rowLength, int eos, Consumer<byte[]> rows) {
        this.rowLength = rowLength;
        this.eos = eos;
        this.rows = rows;
        this.row = new byte[4 * rowLength];
    }

    void add(int[] docTokens) {
        tokens(docTokens);
        endDocument();
    }

    @Override
    public void token(int id) {
        tokensIn++;
        INT_LE.set(row, fill << 2, id);
        if (++fill == rowLength) flush();
    }

    @Override
    public void tokens(int[] ids) {
        tokensIn += ids.length;
        for (int id : ids) {
            INT_LE.set(row, fill << 2, id);
            if (++fill == rowLength) flush();
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
