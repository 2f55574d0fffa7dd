package dbg
import ("testing";"os";"strings";"github.com/ttp0/drone/drone/ioc")
func BenchmarkGen(b *testing.B){
 data, _ := os.ReadFile("/tmp/gen.txt")
 docs := strings.Split(string(data), "\x1e")
 b.SetBytes(int64(len(data)))
 var e ioc.Extractor
 for b.Loop() { for _, d := range docs { e.Extract(d) } }
}
