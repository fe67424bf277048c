package mmgp.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ranked merges of a BPE vocabulary (merges.txt) and the merge loop of transformers' slow
 * {@code bpe()}, which CLIP and GPT-2 share: repeatedly merge every occurrence of the lowest-ranked
 * adjacent pair, left to right and non-overlapping, until no adjacent pair has a rank.
 */
public final class BytePairMerges {

    private final Map<String, Integer> ranks;

    private BytePairMerges(Map<String, Integer> ranks) {
        this.ranks = ranks;
    }

    /**
     * Ranks the first {@code limit} merge lines ("first second"); a line that is not exactly a pair can
     * never match but still takes its rank, and a repeated pair keeps its last rank, as transformers does.
     */
    public static BytePairMerges rank(List<String> lines, int limit) {
        int count = Math.min(lines.size(), limit);
        Map<String, Integer> ranks = new HashMap<>(count * 2);
        for (int rank = 0; rank < count; rank++) {
            List<String> parts = PythonStrings.split(lines.get(rank));
            if (parts.size() == 2) {
                ranks.put(pairKey(parts.get(0), parts.get(1)), rank);
            }
        }
        return new BytePairMerges(ranks);
    }

    /** The symbols after every possible merge; {@code symbols} is not changed. */
    public List<String> merge(List<String> symbols) {
        while (symbols.size() > 1) {
            int bestRank = Integer.MAX_VALUE;
            int bestIndex = -1;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer rank = ranks.get(pairKey(symbols.get(i), symbols.get(i + 1)));
                if (rank != null && rank < bestRank) {
                    bestRank = rank;
                    bestIndex = i;
                }
            }
            if (bestIndex < 0) {
                break;
            }
            String first = symbols.get(bestIndex);
            String second = symbols.get(bestIndex + 1);
            List<String> merged = new ArrayList<>(symbols.size());
            for (int i = 0; i < symbols.size(); ) {
                if (i + 1 < symbols.size() && symbols.get(i).equals(first) && symbols.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i += 2;
                } else {
                    merged.add(symbols.get(i));
                    i++;
                }
            }
            symbols = merged;
        }
        return symbols;
    }

    private static String pairKey(String first, String second) {
        return first + ' ' + second; // merge symbols never contain a space (lines are split on whitespace)
    }
}
