package io.pikemix.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** A plain-text table with right-aligned columns (except the first ones given as left-aligned). */
final class Table {
    private final List<String[]> rows = new ArrayList<>();
    private final int leftColumns;

    Table(int leftColumns, String... header) {
        this.leftColumns = leftColumns;
        rows.add(header);
    }

    Table row(Object... cells) {
        var s = new String[cells.length];
        for (int i = 0; i < cells.length; i++)
            s[i] = cells[i] instanceof Long || cells[i] instanceof Integer
                    ? String.format("%,d", ((Number) cells[i]).longValue())
                    : String.valueOf(cells[i]);
        rows.add(s);
        return this;
    }

    void print(PrintStream out) {
        int cols = rows.get(0).length;
        int[] w = new int[cols];
        for (String[] r : rows) for (int i = 0; i < cols && i < r.length; i++) w[i] = Math.max(w[i], r[i].length());
        for (int j = 0; j < rows.size(); j++) {
            var line = new StringBuilder();
            String[] r = rows.get(j);
            for (int i = 0; i < cols; i++) {
                String c = i < r.length ? r[i] : "";
                String pad = " ".repeat(w[i] - c.length());
                line.append(i == 0 ? "" : "  ").append(i < leftColumns ? c + pad : pad + c);
            }
            out.println(line.toString().stripTrailing());
            if (j == 0) out.println("-".repeat(line.toString().stripTrailing().length()));
        }
    }
}
