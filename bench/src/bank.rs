//! The generated bank: questions in Chinese and English spread over
//! categories, tags, difficulties and types, each derived from its index alone
//! so the load generator can name ids and valid answers without the bank.

use std::{
    path::Path,
    time::{Duration, SystemTime},
};

use qbank::{
    api::convert::card_format,
    domain::question::{AnswerKey, Choice, Difficulty, Question, QuestionType},
    store::{Store, StoreSettings},
};

use crate::BenchResult;

/// The subject areas, evenly spread.
const CATEGORIES: [&str; 10] = [
    "llm",
    "nlp",
    "cv",
    "ml",
    "stats",
    "systems",
    "databases",
    "networks",
    "security",
    "math",
];

/// Each question carries two to four of these, so a tag matches about one
/// question in eight.
const TAGS: [&str; 24] = [
    "rlhf",
    "rag",
    "prompting",
    "bias",
    "alignment",
    "dpo",
    "fine-tuning",
    "attention",
    "tokenization",
    "embedding",
    "evaluation",
    "agents",
    "quantization",
    "distillation",
    "inference",
    "moe",
    "safety",
    "hallucination",
    "retrieval",
    "long-context",
    "multimodal",
    "pretraining",
    "scaling",
    "optimization",
];

/// The question the bank's attempts are on, for GetQuestionStats.
pub(crate) const ATTEMPTED_QUESTION: usize = 0;
/// Attempts on it in the measured bank: what issue 14 asks statistics to
/// be fast on.
pub(crate) const ATTEMPTS: usize = 100_000;
/// Respondents among them: each answers it 20 times.
const RESPONDENTS: usize = 5_000;

/// The category of the filtered listing: a tenth of the bank.
pub(crate) const LIST_CATEGORY: &str = CATEGORIES[0];
/// The tag of the filtered listing: about an eighth of that category.
pub(crate) const LIST_TAG: &str = TAGS[0];

const SINGLE_CHOICE_KEYS: [&str; 4] = ["A", "B", "C", "D"];
const MULTIPLE_CHOICE_KEYS: [&str; 5] = ["A", "B", "C", "D", "E"];
const TRUE_FALSE_KEYS: [&str; 2] = ["true", "false"];

const ZH_TOPICS: [&str; 8] = [
    "检索增强生成",
    "人类反馈强化学习",
    "提示工程",
    "模型量化",
    "长上下文推理",
    "混合专家模型",
    "指令微调",
    "向量数据库",
];
const ZH_CLAIMS: [&str; 8] = [
    "可以在不改变模型权重的情况下降低幻觉率",
    "需要额外的奖励模型来评估输出质量",
    "会显著增加推理时的显存占用",
    "对训练数据的分布偏移非常敏感",
    "通常与低秩适配(LoRA)结合使用以节省算力",
    "能够提高模型在少样本任务上的泛化能力",
    "依赖分词器对中英文混合文本的切分方式",
    "在评估时需要同时考虑准确率和延迟",
];
const EN_TOPICS: [&str; 8] = [
    "retrieval-augmented generation",
    "reinforcement learning from human feedback",
    "prompt engineering",
    "post-training quantization",
    "long-context inference",
    "mixture-of-experts routing",
    "instruction tuning",
    "vector search",
];
const EN_CLAIMS: [&str; 8] = [
    "reduces hallucinations without changing the model weights",
    "needs a separate reward model to score the outputs",
    "noticeably increases the memory needed at inference time",
    "is very sensitive to a shift in the training distribution",
    "is usually combined with low-rank adapters to save compute",
    "improves generalisation on few-shot tasks",
    "depends on how the tokenizer splits mixed-language text",
    "must be evaluated for both accuracy and latency",
];

/// The id of the question at `index`; zero-padded, so id order is index order.
pub(crate) fn question_id(index: usize) -> String {
    format!("q-{index:07}")
}

/// The choice keys of the question at `index`, and how many of them an
/// answer names at most.
pub(crate) fn answerable_keys(index: usize) -> (&'static [&'static str], usize) {
    match question_type(index) {
        QuestionType::SingleChoice => (&SINGLE_CHOICE_KEYS, 1),
        QuestionType::MultipleChoice => (&MULTIPLE_CHOICE_KEYS, 3),
        QuestionType::TrueFalse => (&TRUE_FALSE_KEYS, 1),
    }
}

/// Twelve single-choice, five multiple-choice and three true/false questions
/// in every twenty, like a typical interview bank.
fn question_type(index: usize) -> QuestionType {
    match index % 20 {
        0..12 => QuestionType::SingleChoice,
        12..17 => QuestionType::MultipleChoice,
        _ => QuestionType::TrueFalse,
    }
}

/// The question at `index`. Half are Chinese, half English.
pub(crate) fn question(index: usize) -> Question {
    // Seeded by the index, so a question is the same in every run.
    let mut rng = fastrand::Rng::with_seed(index as u64);
    let chinese = index.is_multiple_of(2);
    let (topics, claims) = if chinese {
        (&ZH_TOPICS, &ZH_CLAIMS)
    } else {
        (&EN_TOPICS, &EN_CLAIMS)
    };
    let topic = topics[rng.usize(..topics.len())];
    let question_type = question_type(index);
    let (keys, _) = answerable_keys(index);

    let stem = if chinese {
        format!("关于{topic},以下哪一项描述是正确的?(第 {index} 题)")
    } else {
        format!("Which statement about {topic} is correct? (question {index})")
    };
    let choices: Vec<Choice> = keys
        .iter()
        .map(|key| Choice {
            key: (*key).to_owned(),
            text: match (question_type, chinese) {
                (QuestionType::TrueFalse, true) => {
                    if *key == "true" { "正确" } else { "错误" }.to_owned()
                }
                (QuestionType::TrueFalse, false) => {
                    if *key == "true" { "True" } else { "False" }.to_owned()
                }
                _ => claims[rng.usize(..claims.len())].to_owned(),
            },
        })
        .collect();
    let correct_choice_keys = match question_type {
        QuestionType::MultipleChoice => {
            // Two distinct keys, kept in choice order as the store requires.
            let first = rng.usize(..keys.len() - 1);
            let second = rng.usize(first + 1..keys.len());
            vec![keys[first].to_owned(), keys[second].to_owned()]
        }
        _ => vec![keys[rng.usize(..keys.len())].to_owned()],
    };
    let explanation = if chinese {
        format!(
            "{topic}{}。其他选项混淆了训练阶段和推理阶段的成本,或者忽略了数据分布的影响。",
            claims[rng.usize(..claims.len())]
        )
    } else {
        format!(
            "In practice {topic} {}. The other options confuse training-time and \
             inference-time costs, or ignore the data distribution.",
            claims[rng.usize(..claims.len())]
        )
    };

    let mut tags: Vec<String> = Vec::new();
    let tag_count = rng.usize(2..=4);
    while tags.len() < tag_count {
        let tag = TAGS[rng.usize(..TAGS.len())];
        if !tags.iter().any(|taken| taken == tag) {
            tags.push(tag.to_owned());
        }
    }
    let created = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600 + index as u64);

    Question {
        id: question_id(index),
        question_type,
        stem,
        choices,
        difficulty: [Difficulty::Easy, Difficulty::Medium, Difficulty::Hard][rng.usize(..3)],
        // Drawn, not index % 10: that would tie a category to one language and type.
        category: CATEGORIES[rng.usize(..CATEGORIES.len())].to_owned(),
        tags,
        language: if chinese { "zh-CN" } else { "en" }.to_owned(),
        revision: 1,
        create_time: created,
        update_time: created,
        answer: AnswerKey {
            correct_choice_keys,
            explanation,
        },
        translations: Vec::new(),
    }
}

/// Creates the database at `path` holding a bank of `size` questions, and
/// `attempts` attempts on [`ATTEMPTED_QUESTION`].
pub(crate) fn build(path: &Path, size: usize, attempts: usize) -> BenchResult<()> {
    let questions: Vec<Question> = (0..size).map(question).collect();
    if let Some(invalid) = questions
        .iter()
        .find(|question| question.validate().is_err())
    {
        return Err(format!("generated an invalid question: {invalid:?}").into());
    }
    // Opening a new database loads the bank in one transaction and renders
    // the cards as the server would, so the server child finds them ready;
    // dropping the handle stops its writer, leaving the file at rest.
    let settings = StoreSettings {
        card_format: Some(card_format()),
        ..StoreSettings::default()
    };
    drop(Store::open_with(path, &questions, &settings)?);
    add_attempts(path, attempts)?;
    // The server derives the attempts' statistics as it starts; done here,
    // they cost the measured server nothing. The store's reads need a
    // runtime of their own: this runs on a blocking thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store = Store::open_with(path, &[], &settings)?;
        store
            .question_statistics(question_id(ATTEMPTED_QUESTION), 0)
            .await?;
        Ok::<_, qbank::store::StoreError>(())
    })?;
    Ok(())
}

/// `attempts` attempts on [`ATTEMPTED_QUESTION`], written straight into
/// the attempts table (a bulk load, not a measurement), each with a random
/// valid answer and one of [`RESPONDENTS`] respondents.
fn add_attempts(path: &Path, attempts: usize) -> BenchResult<()> {
    let mut connection = rusqlite::Connection::open(path)?;
    let transaction = connection.transaction()?;
    {
        let question = question(ATTEMPTED_QUESTION);
        let (keys, _) = answerable_keys(ATTEMPTED_QUESTION);
        let mut rng = fastrand::Rng::with_seed(7);
        let mut insert = transaction.prepare(
            "INSERT INTO attempts (question_id, question_revision, choice_keys, correct, score,
                 respondent_id, submit_time)
             VALUES (?1, 1, ?2, ?3, ?4, ?5, 0)",
        )?;
        for n in 0..attempts {
            let key = keys[rng.usize(..keys.len())];
            let correct = question.answer.correct_choice_keys == [key];
            insert.execute(rusqlite::params![
                question.id,
                format!("[{key:?}]"),
                correct,
                if correct { 1.0 } else { 0.0 },
                format!("bench-respondent-{}", n % RESPONDENTS),
            ])?;
        }
    }
    transaction.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_questions_obey_the_stored_question_rules() {
        for index in 0..2_000 {
            assert_eq!(question(index).validate(), Ok(()), "question {index}");
        }
    }

    #[test]
    fn answerable_keys_are_the_generated_choice_keys() {
        for index in 0..100 {
            let keys: Vec<String> = question(index).choices.into_iter().map(|c| c.key).collect();
            assert_eq!(keys, answerable_keys(index).0, "question {index}");
        }
    }

    #[test]
    fn ids_sort_in_index_order() {
        assert!(question_id(9) < question_id(10));
        assert!(question_id(99_999) < question_id(100_000));
    }
}
