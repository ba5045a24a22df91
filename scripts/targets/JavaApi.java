// The API of the generated Java package, read without compiling it against its dependencies.
//
// Usage: java JavaApi.java <source dir>
//
// Parses every .java file under the folder with the JDK's own compiler (syntax only: compiling
// needs aws-cdk-lib's and jsii's jars from Maven Central, which this machine cannot reach), fails
// on any syntax error, and prints, as JSON, each class and nested class with the names of its methods
// (and, for an enum, its constants).
// check.js compares them with the .jsii assembly.
import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.tree.Tree;
import com.sun.source.tree.VariableTree;
import com.sun.source.util.JavacTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaFileObject;
import javax.tools.ToolProvider;

public class JavaApi {
  public static void main(String[] args) throws Exception {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(Path.of(args[0]))) {
      files = walk.filter(p -> p.toString().endsWith(".java")).sorted().collect(Collectors.toList());
    }
    if (files.isEmpty()) throw new IllegalStateException("no Java files under " + args[0]);
    var compiler = ToolProvider.getSystemJavaCompiler();
    var diagnostics = new DiagnosticCollector<JavaFileObject>();
    var fileManager = compiler.getStandardFileManager(diagnostics, null, null);
    var task = (JavacTask) compiler.getTask(null, fileManager, diagnostics, List.of("-proc:none"), null,
        fileManager.getJavaFileObjectsFromPaths(files));
    Iterable<? extends CompilationUnitTree> units = task.parse();
    var errors = diagnostics.getDiagnostics().stream().filter(d -> d.getKind() == Diagnostic.Kind.ERROR).collect(Collectors.toList());
    if (!errors.isEmpty()) {
      errors.forEach(System.err::println);
      System.exit(1);
    }
    var classes = new ArrayList<String>();
    for (CompilationUnitTree unit : units) {
      for (Tree type : unit.getTypeDecls()) {
        if (type instanceof ClassTree) collect((ClassTree) type, "", classes);
      }
    }
    System.out.println("{\"parsed\":" + files.size() + ",\"classes\":{" + String.join(",", classes) + "}}");
  }

  private static void collect(ClassTree type, String outer, List<String> out) {
    String name = outer + type.getSimpleName();
    var members = new ArrayList<String>();
    for (Tree member : type.getMembers()) {
      if (member instanceof MethodTree) members.add("\"" + ((MethodTree) member).getName() + "\"");
      if (member instanceof VariableTree && type.getKind() == Tree.Kind.ENUM) members.add("\"" + ((VariableTree) member).getName() + "\"");
      if (member instanceof ClassTree) collect((ClassTree) member, name + ".", out);
    }
    out.add("\"" + name + "\":[" + String.join(",", members) + "]");
  }
}
