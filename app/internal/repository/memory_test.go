package repository_test

import (
	"testing"

	"github.com/wechat-deploy/wechat-deploy/app/internal/repository"
	"github.com/wechat-deploy/wechat-deploy/app/internal/repository/repotest"
)

func TestMemoryContract(t *testing.T) {
	repotest.Run(t, func(t *testing.T) repository.Users { return repository.NewMemory() })
}
