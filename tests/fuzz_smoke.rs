//! A short smoke of every fuzz target (fuzz/README.md): its seeds, then seeded random mutations of them. The long
//! runs are libFuzzer's (`cargo fuzz run <target>`); this keeps the targets compiling and catches the easy crashes.

use ninjabind::fuzzing::TARGETS;

/// xorshift64*: the same mutations on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut v: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no seeds for {target}");
    v
}

fn mutate(rng: &mut Rng, input: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(5) {
            0 if !v.is_empty() => {
                let end = (at + 1 + rng.below(8)).min(v.len());
                v.drain(at.min(v.len())..end.max(at.min(v.len())));
            }
            1 => v.insert(at, rng.next() as u8),
            2 => {
                let skip = rng.below(20);
                v.splice(at..at, b"{}[]\",:\\\n\t#ifdef HAVE_X $ |".iter().copied().skip(skip).take(3));
            }
            3 => {
                // splice in a slice of another seed
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len());
                let len = rng.below(32).min(other.len() - from.min(other.len()));
                v.splice(at..at, other[from..from + len].iter().copied());
            }
            _ if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            _ => {}
        }
    }
    v
}

#[test]
fn every_fuzz_target_survives_its_seeds_and_their_mutations() {
    for (name, run) in TARGETS {
        let seeds = seeds(name);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64);
        for s in &seeds {
            run(s);
        }
        let rounds = if name == "manifests" || name == "have_guards" { 300 } else { 2000 };
        for _ in 0..rounds {
            let pick = rng.below(seeds.len());
            let input = mutate(&mut rng, &seeds[pick], &seeds);
            run(&input);
        }
    }
}
