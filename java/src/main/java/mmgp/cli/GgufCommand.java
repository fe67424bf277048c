package mmgp.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import mmgp.gguf.GgufArray;
import mmgp.gguf.GgufFile;
import mmgp.gguf.GgufValue;
import mmgp.gguf.TensorInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mmgp gguf inspect FILE}: metadata and tensor table of a GGUF file. */
@Command(mixinStandardHelpOptions = true, name = "gguf", description = "Work with GGUF files.", subcommands = GgufCommand.Inspect.class)
final class GgufCommand extends VerbGroup {
    @Command(mixinStandardHelpOptions = true, name = "inspect", description = "Print a GGUF file's metadata and tensor table (reads only the header).")
    static final class Inspect implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "The .gguf file.")
        Path file;

        @Option(names = "--array-items", defaultValue = "8", description = "Array items shown before eliding (tokenizer vocabularies are long).")
        int arrayItems;

        @Option(names = "--no-tensors", description = "Metadata only.")
        boolean noTensors;

        @Override
        public Integer call() throws Exception {
            try (GgufFile gguf = GgufFile.open(file)) {
                System.out.printf("%s: GGUF v%d, %d metadata keys, %d tensors, alignment %d, data at %d, %d bytes%n",
                        file, gguf.version(), gguf.metadata().size(), gguf.tensors().size(), gguf.alignment(), gguf.dataStart(), gguf.fileSize());
                for (Map.Entry<String, GgufValue> e : gguf.metadata().asMap().entrySet()) {
                    System.out.printf("  %-48s %-8s %s%n", e.getKey(), e.getValue().type(), render(e.getValue()));
                }
                if (noTensors) return 0;
                System.out.printf("%n  %-56s %-6s %-26s %14s %12s%n", "tensor", "type", "shape (ne0..)", "offset", "bytes");
                long total = 0;
                for (TensorInfo t : gguf.tensors()) {
                    System.out.printf("  %-56s %-6s %-26s %14d %12d%n", t.name(), t.type(), Arrays.toString(t.shape()), t.dataOffset(), t.byteSize());
                    total += t.byteSize();
                }
                System.out.printf("  %d tensors, %.1f MiB of data%n", gguf.tensors().size(), total / 1048576.0);
            }
            return 0;
        }

        private String render(GgufValue v) {
            if (v.value() instanceof GgufArray a) {
                String head = switch (a.elementType()) {
                    case STRING -> a.strings().subList(0, Math.min(arrayItems, a.size())).toString();
                    case ARRAY -> "[" + a.size() + " nested arrays]";
                    case FLOAT32, FLOAT64 -> Arrays.toString(Arrays.copyOf(a.toDoubleArray(), Math.min(arrayItems, a.size())));
                    case BOOL -> Arrays.toString(Arrays.copyOf(a.toBooleanArray(), Math.min(arrayItems, a.size())));
                    default -> Arrays.toString(Arrays.copyOf(a.toLongArray(), Math.min(arrayItems, a.size())));
                };
                return a.elementType() + "[" + a.size() + "] " + (a.size() > arrayItems ? head.substring(0, head.length() - 1) + ", ...]" : head);
            }
            String s = String.valueOf(v.value());
            return s.length() > 200 ? s.substring(0, 200) + "..." : s;
        }
    }
}
