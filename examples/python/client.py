"""A qbank client in Python: lists questions, gets one, answers it, and
checks every response, exiting non-zero on the first surprise.

It uses only stubs generated from the published proto (run generate.py
first) and plain grpcio, as any team in another language would.

    python client.py --addr localhost:50051
"""

import argparse
import os
import pathlib
import sys
import uuid

import grpc

# The generated modules live in ./generated, as packages qbank.v1.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "generated"))

from qbank.v1 import question_bank_pb2 as pb  # noqa: E402
from qbank.v1 import question_bank_pb2_grpc as pb_grpc  # noqa: E402


class CheckFailed(Exception):
    """A response was not what the contract promises."""


def check(condition: bool, message: str) -> None:
    # Not `assert`: `python -O` would drop the checks silently.
    if not condition:
        raise CheckFailed(message)


def list_questions(stub: pb_grpc.QuestionBankStub) -> pb.ListQuestionsResponse:
    page = stub.ListQuestions(pb.ListQuestionsRequest(page_size=3), timeout=10)
    check(0 < len(page.questions) <= 3, f"expected 1 to 3 questions, got {len(page.questions)}")
    check(page.total_size >= len(page.questions), "total_size counts fewer than the page")
    ids = [question.id for question in page.questions]
    check(ids == sorted(ids), f"questions are not in id order: {ids}")
    for question in page.questions:
        check(not question.HasField("answer"), f"{question.id}: the BASIC view leaked the answer")
    print(f"ListQuestions: {len(page.questions)} of {page.total_size} questions: {', '.join(ids)}")
    return page


def get_question(stub: pb_grpc.QuestionBankStub, question_id: str) -> pb.Question:
    question = stub.GetQuestion(pb.GetQuestionRequest(id=question_id), timeout=10)
    check(question.id == question_id, f"asked for {question_id}, got {question.id}")
    check(len(question.choices) >= 2, f"{question_id} has fewer than two choices")
    check(question.revision >= 1, f"{question_id} has revision {question.revision}")
    check(question.create_time.seconds > 0, f"{question_id} has no create_time")
    type_name = pb.QuestionType.Name(question.type)
    print(f"GetQuestion: {question.id} ({type_name}, {len(question.choices)} choices): {question.stem}")
    return question


def answer_question(stub: pb_grpc.QuestionBankStub, question: pb.Question) -> None:
    request = pb.SubmitAnswerRequest(
        question_id=question.id,
        choice_keys=[question.choices[0].key],
        respondent_id="python-example",
        # The idempotency key: a retry with it is answered, not recorded, again.
        request_id=str(uuid.uuid4()),
    )
    graded = stub.SubmitAnswer(request, timeout=10)
    check(graded.attempt_id != "", "the attempt has no id")
    check(0.0 <= graded.score <= 1.0, f"score {graded.score} is outside 0..1")
    check(len(graded.correct_choice_keys) > 0, "the grade names no correct keys")
    chose_correctly = list(request.choice_keys) == list(graded.correct_choice_keys)
    check(graded.correct == chose_correctly, "`correct` disagrees with the keys")
    check(graded.question_revision == question.revision, "graded against another revision")
    verdict = "correct" if graded.correct else "incorrect"
    print(
        f"SubmitAnswer: {request.choice_keys[0]} is {verdict} (score {graded.score:g}), "
        f"answer {','.join(graded.correct_choice_keys)}, attempt {graded.attempt_id}"
    )

    retried = stub.SubmitAnswer(request, timeout=10)
    check(retried.attempt_id == graded.attempt_id, "a retry recorded a second attempt")
    print(f"SubmitAnswer retried: same attempt {retried.attempt_id}")


def expect_not_found(stub: pb_grpc.QuestionBankStub) -> None:
    try:
        stub.GetQuestion(pb.GetQuestionRequest(id="no-such-question"), timeout=10)
    except grpc.RpcError as error:
        check(error.code() == grpc.StatusCode.NOT_FOUND, f"expected NOT_FOUND, got {error.code()}")
        print(f"GetQuestion no-such-question: {error.code().name}")
        return
    raise CheckFailed("an unknown question id was answered")


def get_full_view(stub: pb_grpc.QuestionBankStub, question_id: str, token: str) -> None:
    # The FULL view carries the answer key and needs the admin token as
    # `authorization: Bearer <token>` metadata.
    question = stub.GetQuestion(
        pb.GetQuestionRequest(id=question_id, view=pb.QUESTION_VIEW_FULL),
        metadata=[("authorization", f"Bearer {token}")],
        timeout=10,
    )
    check(question.HasField("answer"), "the FULL view has no answer")
    print(f"GetQuestion FULL: answer {','.join(question.answer.correct_choice_keys)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--addr",
        default=os.environ.get("QBANK_ADDR", "localhost:50051"),
        help="server address, host:port (default: $QBANK_ADDR or localhost:50051)",
    )
    args = parser.parse_args()
    token = os.environ.get("QBANK_TOKEN", "")

    with grpc.insecure_channel(args.addr) as channel:
        try:
            grpc.channel_ready_future(channel).result(timeout=10)
        except grpc.FutureTimeoutError:
            print(f"error: cannot reach a qbank server at {args.addr}", file=sys.stderr)
            return 1
        stub = pb_grpc.QuestionBankStub(channel)
        try:
            page = list_questions(stub)
            question = get_question(stub, page.questions[0].id)
            answer_question(stub, question)
            expect_not_found(stub)
            if token:
                get_full_view(stub, question.id, token)
        except CheckFailed as failure:
            print(f"error: {failure}", file=sys.stderr)
            return 1
        except grpc.RpcError as error:
            print(f"error: {error.code().name}: {error.details()}", file=sys.stderr)
            return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
